/**
 * SparseGPT on a small layer: its output error on the calibration inputs is below magnitude's at the
 * same sparsity (spec pruning.md "Tests that matter"), and the linear algebra it rests on.
 */
import { magnitudeScores, nmMask, relativeOutputError, rowMask, applyMask } from '../unstructured/math.js';
import { NotPositiveDefinite } from './linalg.js';
import { sparseGpt } from './math.js';

/** mulberry32 normal-ish values (sum of uniforms), deterministic. */
function rand(count: number, seed: number): Float64Array {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float64Array.from({ length: count }, () => u() + u() + u() - 1.5);
}

/** Calibration X [n, K] with correlated features (what makes OBS updates pay), and its X^T X. */
function calibration(n: number, K: number) {
  const z = rand(n * K, 7);
  const x = new Float64Array(n * K);
  for (let r = 0; r < n; r++)
    for (let k = 0; k < K; k++)
      x[r * K + k] = z[r * K + k] + 0.8 * z[r * K + ((k + 1) % K)] + (k % 5 === 0 ? 2 * z[r * K] : 0);
  const xtx = new Float64Array(K * K);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) xtx[i * K + j] += x[r * K + i] * x[r * K + j];
  return { xtx, H: () => xtx.map((v) => (2 * v) / n) };
}

describe('SparseGPT', () => {
  const O = 16;
  const K = 64;
  const w = Float32Array.from(rand(O * K, 3));
  const { xtx, H } = calibration(512, K);

  it('has a lower layer output error than magnitude at the same unstructured sparsity', () => {
    for (const s of [0.25, 0.5, 0.75]) {
      const sg = sparseGpt(w, O, K, H(), { sparsity: s, blockSize: 16, damp: 0.01 }).weight;
      const mag = Float32Array.from(w);
      applyMask(mag, rowMask(magnitudeScores(w), O, K, s));
      const zeros = sg.filter((v) => v === 0).length;
      expect(zeros).toBe(mag.filter((v) => v === 0).length); // equal sparsity: floor(s * 16 * 16) per block = floor(s * 64) per row here
      const eSg = relativeOutputError(w, sg, O, K, xtx);
      const eMag = relativeOutputError(w, mag, O, K, xtx);
      expect(eSg).toBeLessThan(eMag);
    }
  });

  it('keeps 2:4 exactly and beats magnitude 2:4', () => {
    const sg = sparseGpt(w, O, K, H(), { sparsity: 0.5, nm: { n: 2, m: 4 }, blockSize: 16, damp: 0.01 }).weight;
    for (let i = 0; i < O * K; i += 4)
      expect([...sg.subarray(i, i + 4)].filter((v) => v === 0).length).toBeGreaterThanOrEqual(2);
    const mag = Float32Array.from(w);
    applyMask(mag, nmMask(magnitudeScores(w), O, K, 2, 4));
    expect(relativeOutputError(w, sg, O, K, xtx)).toBeLessThan(relativeOutputError(w, mag, O, K, xtx));
  });

  it('at sparsity 0 leaves the weight unchanged', () => {
    const sg = sparseGpt(w, O, K, H(), { sparsity: 0, blockSize: 16, damp: 0.01 });
    expect(Array.from(sg.weight)).toEqual(Array.from(w));
    expect(sg.loss).toBe(0);
    expect(sg.dampUsed).toBe(0.01);
  });

  it('raises the damping 10x where H is singular (reported), and zeroes dead inputs', () => {
    const Hs = new Float64Array(4 * 4).fill(1); // rank one: singular at damp 0, positive definite at 0.01
    for (let j = 0; j < 4; j++) Hs[2 * 4 + j] = Hs[j * 4 + 2] = 0; // input 2 never active
    const r = sparseGpt(Float32Array.from([1, 2, 3, 4, -1, -2, -3, -4]), 2, 4, Hs, {
      sparsity: 0,
      blockSize: 4,
      damp: 0,
    });
    expect(r.dampUsed).toBe(0.01);
    expect([r.weight[2], r.weight[6]]).toEqual([0, 0]);
  });

  it('throws NotPositiveDefinite when raising the damping does not help', () => {
    const bad = Float64Array.from([1, 1e6, 1e6, 1]); // eigenvalue -999999: five 10x raises of 0.01 stop at λ = 1000
    expect(() => sparseGpt(Float32Array.from([1, 2]), 1, 2, bad, { sparsity: 0.5, blockSize: 2, damp: 0.01 })).toThrow(
      NotPositiveDefinite,
    );
  });
});
