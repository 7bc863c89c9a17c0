/**
 * GPTQ on int4's block layout (Conv, Gemm): which codes land in which row, one Hessian per group,
 * and the error it saves over RTN on the same grid.
 */
import { relativeError } from '@mc-kit/core';
import { seededWeights } from '../int8/testkit.fixture.js';
import { solveBlocks } from './blocks.js';
import { rtnQuantize, type GptqOptions } from './math.js';
import { matmulOutputError } from './output-error.js';

const OPTS: GptqOptions = { bits: 4, scheme: 'sym', groupSize: 16, damp: 0.01, actOrder: false };
const identity = (K: number) => Float64Array.from({ length: K * K }, (_, i) => (i % (K + 1) === 0 ? 1 : 0));

describe('solveBlocks', () => {
  it('a grouped Conv on the grid: every output row gets its own codes, in output order (hand values)', () => {
    // Conv weight [4, 2, 1, 2] group 2: K = 2·1·2 = 4 inputs per output in im2col order; outputs 0-1 read group 0, 2-3 group 1.
    // Each row's max |w| is 0.7, so scale = 0.7 / 7 = 0.1 and code = w / 0.1 + 8.
    const w = Float32Array.from([
      0.7, -0.3, 0.1, 0, /**/ -0.7, 0.2, 0, 0.5, /**/ 0.7, 0.7, -0.1, -0.2, /**/ 0.3, -0.7, 0.6, 0.4,
    ]);
    const r = solveBlocks(w, { outer: 4, dim: 4, inner: 1 }, [identity(4), identity(4)], OPTS);
    const row = (o: number) => Array.from(r.blocks.codes.subarray(o * 16, o * 16 + 4));
    expect([0, 1, 2, 3].map(row)).toEqual([
      [15, 5, 9, 8],
      [1, 10, 8, 13],
      [15, 15, 7, 6],
      [11, 1, 14, 12],
    ]);
    expect(Array.from(r.blocks.scales)).toEqual(new Array(4).fill(Math.fround(0.1)));
    expect(Array.from(r.blocks.codes.subarray(4, 16))).toEqual(new Array(12).fill(8)); // padding holds the zero point
    expect(r.blocks).toMatchObject({ rows: 4, kBlocks: 1, blockSize: 16, scheme: 'sym' });
    expect(r.outputError).toBeLessThan(1e-6); // on the grid: nothing lost
  });

  it('a Gemm weight [K, N] (transB = 0): row n holds column n', () => {
    const K = 3;
    const N = 2;
    const w = Float32Array.from([0.7, -0.7, 0.1, 0.2, -0.3, 0]); // [K, N]: column 0 = [0.7, 0.1, -0.3], column 1 = [-0.7, 0.2, 0]
    const r = solveBlocks(w, { outer: 1, dim: K, inner: N }, [identity(K)], OPTS);
    expect(Array.from(r.blocks.codes.subarray(0, 3))).toEqual([15, 9, 5]);
    expect(Array.from(r.blocks.codes.subarray(16, 19))).toEqual([1, 10, 8]);
  });

  it("with one Hessian per group, beats RTN on the same grid on every group's output", () => {
    const K = 36; // Cin/group 4 x 3 x 3
    const per = 8;
    // correlated patches per group: 3 shared factors + noise, a different mix per group
    const hessian = (seed: number) => {
      const rows = 400;
      const z = seededWeights(rows * 3, seed, 1);
      const mix = seededWeights(3 * K, seed + 1, 1);
      const noise = seededWeights(rows * K, seed + 2, 0.05);
      const H = new Float64Array(K * K);
      const x = new Float64Array(K);
      for (let t = 0; t < rows; t++) {
        for (let k = 0; k < K; k++)
          x[k] = noise[t * K + k] + z[t * 3] * mix[k] + z[t * 3 + 1] * mix[K + k] + z[t * 3 + 2] * mix[2 * K + k];
        for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) H[i * K + j] += (2 / rows) * x[i] * x[j];
      }
      return H;
    };
    const H = [hessian(10), hessian(20)];
    const w = seededWeights(2 * per * K, 3, 0.5); // [16 outputs, 36]
    const opts: GptqOptions = { ...OPTS, bits: 3 };
    const r = solveBlocks(w, { outer: 2 * per, dim: K, inner: 1 }, H, opts);
    const rtn = H.map((h, g) => {
      const wg = new Float32Array(K * per);
      for (let n = 0; n < per; n++) for (let k = 0; k < K; k++) wg[k * per + n] = w[(g * per + n) * K + k];
      return matmulOutputError(wg, rtnQuantize(wg, K, per, opts).dequantized, K, per, h);
    });
    expect(r.outputError).toBeLessThan(0.8 * relativeError(rtn));
    // the grid is 3-bit, stored in 4-bit codes: sym codes move to the 4-bit zero point 8, range 8-4 .. 8+3
    for (const c of r.blocks.codes) expect(c >= 4 && c <= 11).toBe(true);
  });

  it('refuses outputs that do not split into the groups', () => {
    expect(() =>
      solveBlocks(new Float32Array(12), { outer: 3, dim: 4, inner: 1 }, [identity(4), identity(4)], OPTS),
    ).toThrow(/do not split/);
  });
});
