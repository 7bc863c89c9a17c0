/**
 * Greedy OBS over whole channels: its cost is the error the refit leaves, its sequential updates
 * land on the joint refit, and it removes a redundant channel that L1 would keep.
 */
import { greedyChannels, obsLayer, removalCost, removeColumns } from './obs.js';
import { outputErrorSums } from '@mc-kit/core';
import { augmentedGram, damped, refitColumns, scatterColumns } from './refit.js';
import { statsOfRows } from './unfold.js';

/** ‖XWᵀ‖² from G (core's error sums of W against itself). */
const outputEnergy = (W: ArrayLike<number>, rows: number, G: Float64Array, n: number) =>
  outputErrorSums(W, W, rows, n, G).den;

const pseudo = (n: number, seed = 1) =>
  Float64Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.5 + Math.cos(i * seed) * 0.25);

/** rows of 4 features: x0, x1, x2 = x1 (a duplicate), x3; plus the ones feature. */
function duplicateCase() {
  const R = 40;
  const a = pseudo(R, 2);
  const b = pseudo(R, 5);
  const c = pseudo(R, 9);
  const data = Array.from({ length: R }, (_, r) => [a[r], b[r], b[r], c[r]]).flat();
  const { G, n } = augmentedGram(statsOfRows(data, R, 4), true);
  // L1 per input channel: 0.2, 3, 2, 1: the L1 choice would drop channel 0
  const W = [0.1, 2, -1, 0.5, 0.3, 0.1, -1, 1, 0.5, 0.2];
  return { G, n, W, rows: 2 };
}

describe('greedy OBS channel choice', () => {
  it('removes one of two identical input channels (free after refit) where L1 removes the weakest', () => {
    const { G, n, W, rows } = duplicateCase();
    const Gd = damped(G, n, n - 1, 1e-6);
    const layer = obsLayer(W, rows, Gd, n, outputEnergy(W, rows, G, n))!;
    const cols = (c: number) => [c];
    expect(removalCost(layer, [1])).toBeLessThan(1e-5);
    expect(removalCost(layer, [0])).toBeGreaterThan(1e-3);
    // either copy is free (which one is rounding); never channel 0, the L1 choice
    expect([[1], [2]]).toContainEqual(greedyChannels([{ layer, columns: cols }], 4, 1));
  });

  it('prices a removal at the output energy the least-squares refit leaves', () => {
    const { G, n, W, rows } = duplicateCase();
    const Gd = damped(G, n, n - 1, 0.01);
    const energy = outputEnergy(W, rows, Gd, n);
    const layer = obsLayer(W, rows, Gd, n, energy)!;
    const kept = [0, 1, 2, 4];
    const refit = scatterColumns(refitColumns(W, rows, Gd, n, kept)!, rows, n, kept);
    const D = Float64Array.from(W, (w, i) => w - refit[i]);
    expect(removalCost(layer, [3]) * energy).toBeCloseTo(outputEnergy(D, rows, Gd, n), 10);
  });

  it('lands on the joint refit after removing channels one at a time', () => {
    const { G, n, W, rows } = duplicateCase();
    const Gd = damped(G, n, n - 1, 0.01);
    const layer = obsLayer(W, rows, Gd, n, 1)!;
    removeColumns(layer, [3]);
    removeColumns(layer, [0]);
    const kept = [1, 2, 4];
    const joint = scatterColumns(refitColumns(W, rows, Gd, n, kept)!, rows, n, kept);
    for (let i = 0; i < W.length; i++) expect(layer.W[i]).toBeCloseTo(joint[i], 10);
  });

  it('weighs a channel by all its readers, each relative to its own output', () => {
    const { G, n, W, rows } = duplicateCase();
    const Gd = damped(G, n, n - 1, 1e-6);
    // reader A sees channels 0..3 as its columns; reader B sees them reversed and scaled 100x
    const a = obsLayer(W, rows, Gd, n, outputEnergy(W, rows, Gd, n))!;
    const W2 = [0.1, 0.5, -1, 2, 0.3, 1, -1, 0.1, 0.2, 0.5].map((v) => v * 100);
    const b = obsLayer(W2, rows, Gd, n, outputEnergy(W2, rows, Gd, n))!;
    const costA = (c: number) => removalCost(a, [c]);
    const costB = (c: number) => removalCost(b, [3 - c]);
    const expected = [0, 1, 2, 3].map((c) => costA(c) + costB(c));
    const best = expected.indexOf(Math.min(...expected));
    expect(
      greedyChannels(
        [
          { layer: a, columns: (c) => [c] },
          { layer: b, columns: (c) => [3 - c] },
        ],
        4,
        1,
      ),
    ).toEqual([best]);
  });
});
