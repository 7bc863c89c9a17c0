import { permuteSymmetric } from '@mc-kit/core';
import { actOrderPermutation, gptqQuantize, rtnQuantize, type GptqOptions } from './math.js';

/** Deterministic pseudo-random numbers in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** H = 2/n X^T X for X [n, K] */
function hessian(X: Float64Array, n: number, K: number): Float64Array {
  const H = new Float64Array(K * K);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) H[i * K + j] += (2 / n) * X[r * K + i] * X[r * K + j];
  return H;
}

/** ||X W - X Q||_F^2 with W, Q [K, N] */
function outputError(
  X: Float64Array,
  n: number,
  K: number,
  N: number,
  W: ArrayLike<number>,
  Q: ArrayLike<number>,
): number {
  let e = 0;
  for (let r = 0; r < n; r++)
    for (let c = 0; c < N; c++) {
      let d = 0;
      for (let k = 0; k < K; k++) d += X[r * K + k] * (W[k * N + c] - Q[k * N + c]);
      e += d * d;
    }
  return e;
}

const base: GptqOptions = { bits: 4, scheme: 'sym', groupSize: 16, damp: 0.01, actOrder: false };

describe('gptqQuantize', () => {
  it('hand-checked column update: the error of column 0 moves column 1 across a rounding boundary', () => {
    // W (one output) = [0.35, 0.08, 0.9] along K; one group of 4 (K padded), sym 4 bits: s = 0.9 / 7.
    // H couples inputs 0 and 1: H^-1[0][1] / H^-1[0][0] = -0.9, so w1' = w1 + 0.9 (w0 - q0).
    // q0 = round(0.35 / s = 2.72) = 3 -> 3s = 0.385714; w1' = 0.08 + 0.9 (0.35 - 0.385714) = 0.047857,
    // round(w1' / s = 0.372) = 0, where RTN has round(0.08 / s = 0.622) = 1. Column 2 is independent: 7.
    const H = Float64Array.from([1, 0.9, 0, 0.9, 1, 0, 0, 0, 1]);
    const w = Float32Array.from([0.35, 0.35, 0.08, 0.08, 0.9, 0.9]); // [K=3, N=2]: two equal outputs
    const r = gptqQuantize(w, 3, 2, H, { ...base, groupSize: 4, damp: 0 });
    const s = Math.fround(Math.fround(0.9) / 7); // the weight itself is float32
    expect(Array.from(r.scales)).toEqual([s, s]);
    expect(Array.from(r.codes)).toEqual([11, 8, 15, 8, 11, 8, 15, 8]); // q + 8, padding = 8
    expect(Array.from(r.dequantized)).toEqual([3 * s, 3 * s, 0, 0, 7 * s, 7 * s].map(Math.fround));
    expect(Array.from(rtnQuantize(w, 3, 2, { ...base, groupSize: 4 }).codes)).toEqual([11, 9, 15, 8, 11, 9, 15, 8]);
  });

  it("with an identity Hessian nothing propagates: the codes are RTN's on the same grid", () => {
    const rnd = lcg(3);
    const K = 40;
    const N = 6;
    const w = Float32Array.from({ length: K * N }, rnd);
    const I = new Float64Array(K * K);
    for (let j = 0; j < K; j++) I[j * K + j] = 1;
    for (const actOrder of [false, true]) {
      const g = gptqQuantize(w, K, N, I, { ...base, actOrder });
      const r = rtnQuantize(w, K, N, base);
      expect(Array.from(g.codes)).toEqual(Array.from(r.codes));
      expect(Array.from(g.scales)).toEqual(Array.from(r.scales));
      expect(Array.from(g.dequantized)).toEqual(Array.from(r.dequantized));
    }
  });

  describe('on a layer with correlated calibration inputs', () => {
    const rnd = lcg(11);
    const n = 512;
    const K = 64;
    const N = 24;
    // X = Z M: features share factors, so H is far from diagonal (as in a real layer)
    const Z = Float64Array.from({ length: n * 8 }, rnd);
    const M = Float64Array.from({ length: 8 * K }, rnd);
    const X = new Float64Array(n * K);
    for (let r = 0; r < n; r++)
      for (let k = 0; k < K; k++) {
        let v = 0.05 * rnd();
        for (let f = 0; f < 8; f++) v += Z[r * 8 + f] * M[f * K + k];
        X[r * K + k] = v * (k % 7 === 0 ? 4 : 1); // a few outlier features
      }
    const H = hessian(X, n, K);
    const w = Float32Array.from({ length: K * N }, () => rnd() * 0.5);

    it.each([
      [4, 'sym', false],
      [4, 'sym', true],
      [3, 'sym', false],
      [3, 'asym', true],
      [2, 'asym', false],
      [8, 'sym', false],
    ] as const)(
      '%i bits %s act-order %s: lower output error ||XW - XQ|| than RTN on the same grid',
      (bits, scheme, actOrder) => {
        const opts = { ...base, bits, scheme, actOrder };
        const g = gptqQuantize(w, K, N, H, opts);
        const r = rtnQuantize(w, K, N, opts);
        const eG = outputError(X, n, K, N, w, g.dequantized);
        const eR = outputError(X, n, K, N, w, r.dequantized);
        expect(eG).toBeLessThan(0.8 * eR);
        expect(g.deadColumns).toBe(0);
        expect(g.dampUsed).toBe(0.01);
      },
    );

    it('the dequantized weight is exactly codes x scales in the original column order (act-order undone)', () => {
      const g = gptqQuantize(w, K, N, H, { ...base, actOrder: true });
      const padded = g.kBlocks * g.groupSize;
      for (let k = 0; k < K; k++)
        for (let c = 0; c < N; c++) {
          const gi = c * g.kBlocks + Math.floor(k / g.groupSize);
          expect(g.dequantized[k * N + c]).toBe(
            Math.fround((g.codes[c * padded + k] - g.zeroPoints[gi]) * g.scales[gi]),
          );
        }
    });
  });

  it('act-order: descending diag H, ties by index, and the permutation round-trips H', () => {
    const K = 4;
    const H = Float64Array.from([1, 0.1, 0.2, 0.3, 0.1, 5, 0.4, 0.5, 0.2, 0.4, 1, 0.6, 0.3, 0.5, 0.6, 3]);
    const perm = actOrderPermutation(H, K);
    expect(Array.from(perm)).toEqual([1, 3, 0, 2]);
    const inverse = new Int32Array(K);
    perm.forEach((p, i) => (inverse[p] = i));
    expect(Array.from(permuteSymmetric(permuteSymmetric(H, K, perm), K, inverse))).toEqual(Array.from(H));
  });

  it('dead inputs (H[j][j] = 0) get zero weights; a singular H gets more damping', () => {
    const K = 16;
    const N = 2;
    const H = new Float64Array(K * K).fill(1); // rank one: singular, and damping 1e-2 of mean diag fixes it
    for (let j = 0; j < K; j++) H[3 * K + j] = H[j * K + 3] = 0;
    const w = Float32Array.from({ length: K * N }, (_, i) => ((i % 5) - 2) / 4);
    const g = gptqQuantize(w, K, N, H, base);
    expect(g.deadColumns).toBe(1);
    expect([g.dequantized[3 * N], g.dequantized[3 * N + 1]]).toEqual([0, 0]);
    const z = gptqQuantize(w, K, N, new Float64Array(K * K).fill(1), { ...base, damp: 0 });
    expect(z.dampUsed).toBeGreaterThan(0);
  });
});
