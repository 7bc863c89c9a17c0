/**
 * The refit's algebra on statistics taken by explicit unfolding (unfold.ts) of small inputs: exact
 * when nothing is removed, the least-squares optimum (normal equations) otherwise, and a removed
 * constant channel folded into the bias by hand-computed values.
 */
import { outputErrorSums, relativeOutputError } from '@mc-kit/core';
import { augmentedGram, damped, refitColumns, scatterColumns } from './refit.js';
import { statsOfRows, unfold } from './unfold.js';

/** ‖XWᵀ‖² from G (core's error sums of W against itself). */
const outputEnergy = (W: ArrayLike<number>, rows: number, G: Float64Array, n: number) =>
  outputErrorSums(W, W, rows, n, G).den;

const pseudo = (n: number, seed = 1) =>
  Float64Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.5 + Math.cos(i * seed) * 0.25);

/** x [2, 3, 5, 5] -> 3x3 patches with padding 1: 50 rows of 27 features, plus the ones feature. */
function convCase() {
  const x = pseudo(2 * 3 * 5 * 5, 3).map((v) => Math.max(0, v)); // ReLU-like: non-negative, non-zero mean
  const u = unfold(x, [2, 3, 5, 5], { kernel: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [1, 1] });
  const stats = statsOfRows(u.data, u.rows, u.features);
  const { G, n } = augmentedGram(stats, true);
  const rows = 4;
  const W = pseudo(rows * n, 7); // [Cout=4, 27 + bias]
  return { u, G, n, rows, W };
}

describe('augmentedGram', () => {
  it('puts X^T X, Σx and the row count where the ones feature reads them', () => {
    // rows (1, 2) and (3, -1): X^T X = [[10, -1], [-1, 5]], Σx = (4, 1), 2 rows
    const s = statsOfRows([1, 2, 3, -1], 2, 2);
    expect([...augmentedGram(s, true).G]).toEqual([10, -1, 4, -1, 5, 1, 4, 1, 2]);
    expect([...augmentedGram(s, false).G]).toEqual([10, -1, -1, 5]);
  });

  it('damps every diagonal entry by damp x the mean diagonal of the patch features', () => {
    const s = statsOfRows([1, 2, 3, -1], 2, 2);
    const { G, n } = augmentedGram(s, true);
    // mean(10, 5) = 7.5; damp 0.1 -> 0.75
    expect([...damped(G, n, 2, 0.1)]).toEqual([10.75, -1, 4, -1, 5.75, 1, 4, 1, 2.75]);
  });
});

describe('refitColumns', () => {
  it('returns the dense weights exactly when nothing is pruned', () => {
    const { G, n, rows, W } = convCase();
    const all = Array.from({ length: n }, (_, j) => j);
    const out = refitColumns(W, rows, damped(G, n, n - 1, 0.01), n, all)!;
    expect([...out]).toEqual([...W]);
  });

  it('solves the normal equations: the kept patches are orthogonal to the residual (damp 0)', () => {
    const { u, G, n, rows, W } = convCase();
    const removed = new Set([9, 10, 11, 12, 13, 14, 15, 16, 17]); // input channel 1, all 9 kernel offsets
    const kept = Array.from({ length: n }, (_, j) => j).filter((j) => !removed.has(j));
    const WK = refitColumns(W, rows, G, n, kept)!;
    const F = u.features;
    const patch = (r: number, j: number) => (j === F ? 1 : u.data[r * F + j]);
    for (let o = 0; o < rows; o++) {
      const grad = new Float64Array(kept.length);
      for (let r = 0; r < u.rows; r++) {
        let y = 0;
        for (let j = 0; j < n; j++) y += W[o * n + j] * patch(r, j);
        let yk = 0;
        kept.forEach((j, a) => (yk += WK[o * kept.length + a] * patch(r, j)));
        kept.forEach((j, a) => (grad[a] += (yk - y) * patch(r, j)));
      }
      for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-9);
    }
    // and it beats dropping the columns as they are
    const full = scatterColumns(WK, rows, n, kept);
    const dropped = Float64Array.from(W, (w, i) => (removed.has(i % n) ? 0 : w));
    expect(relativeOutputError(W, full, rows, n, G)).toBeLessThan(relativeOutputError(W, dropped, rows, n, G));
  });

  it('folds a removed constant channel into the bias: b + 0.5 w1, the other weight unchanged', () => {
    // 1x1 layer, features (x0, x1 = 0.5 always) + ones; y = 2 x0 + 3 x1 + 0.25
    const x0 = [0.1, 0.7, -0.3, 1.2, 0.4];
    const rowsData = x0.flatMap((v) => [v, 0.5]);
    const { G, n } = augmentedGram(statsOfRows(rowsData, 5, 2), true);
    const WK = refitColumns([2, 3, 0.25], 1, G, n, [0, 2])!;
    expect(WK[0]).toBeCloseTo(2, 12);
    expect(WK[1]).toBeCloseTo(0.25 + 0.5 * 3, 12);
    expect(relativeOutputError([2, 3, 0.25], scatterColumns(WK, 1, n, [0, 2]), 1, n, G)).toBeLessThan(1e-7);
  });
});

describe('layer output error from the refit statistics', () => {
  it("is ||X(W - W')|| / ||XW|| over the explicit patches", () => {
    const { u, G, n, rows, W } = convCase();
    const approx = Float64Array.from(W, (w, i) => (i % 5 === 0 ? 0 : w * 0.9));
    const F = u.features;
    let num = 0;
    let den = 0;
    for (let r = 0; r < u.rows; r++) {
      for (let o = 0; o < rows; o++) {
        let y = W[o * n + F];
        let ya = approx[o * n + F];
        for (let j = 0; j < F; j++) {
          y += W[o * n + j] * u.data[r * F + j];
          ya += approx[o * n + j] * u.data[r * F + j];
        }
        num += (y - ya) ** 2;
        den += y * y;
      }
    }
    expect(relativeOutputError(W, approx, rows, n, G)).toBeCloseTo(Math.sqrt(num / den), 12);
    expect(outputEnergy(W, rows, G, n)).toBeCloseTo(den, 8);
  });
});
