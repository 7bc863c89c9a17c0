import type { Rng } from '../contracts.js';
import { createRng } from '../rng.js';
import { pairedBootstrap } from './paired-bootstrap.js';

/** An Rng that hands out the given indices in order: the resamples are then known exactly. */
function scripted(indices: readonly number[]): Rng {
  let k = 0;
  return { seed: 0, next: () => 0, int: () => indices[k++] };
}

describe('pairedBootstrap (core)', () => {
  it('matches a case computed by hand: resamples, percentile ranks and bootstrap stderr', () => {
    // diffs a-b = [1, 0, 1]; resample 1 draws items 0,1,2 (mean 2/3), resample 2 draws item 1 three times (mean 0)
    const r = pairedBootstrap([1, 0, 1], [0, 0, 0], scripted([0, 1, 2, 1, 1, 1]), 2, 0.5);
    expect(r.delta).toBeCloseTo(2 / 3, 15);
    // alpha 0.5: low rank floor(2 * 0.25) = 0, high rank ceil(2 * 0.75) - 1 = 1 of the sorted [0, 2/3]
    expect(r.low).toBe(0);
    expect(r.high).toBeCloseTo(2 / 3, 15);
    // sd of [0, 2/3] with n - 1: sqrt(2 * (1/3)^2 / 1) = sqrt(2)/3
    expect(r.stderr).toBeCloseTo(Math.SQRT2 / 3, 15);
    expect(r).toMatchObject({ items: 3, resamples: 2, level: 0.5 });
  });

  it('is the same for the same seed, and the full-set delta does not depend on it', () => {
    const a = [0.2, 0.9, 0.4, 0.7, 0.1];
    const b = [0.1, 0.8, 0.6, 0.7, 0.0];
    expect(pairedBootstrap(a, b, createRng(3), 300, 0.95)).toEqual(pairedBootstrap(a, b, createRng(3), 300, 0.95));
    expect(pairedBootstrap(a, b, createRng(4), 300, 0.95).delta).toBeCloseTo(0.02, 15);
  });

  it('refuses unpaired or empty input', () => {
    expect(() => pairedBootstrap([1], [1, 2], createRng(0), 10, 0.95)).toThrow(/1 scores against 2/);
    expect(() => pairedBootstrap([], [], createRng(0), 10, 0.95)).toThrow(/no items/);
  });
});
