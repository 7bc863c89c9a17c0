/**
 * Paired bootstrap of the difference of two mean scores over the same items (Efron & Tibshirani,
 * ch. 13; the test lm-eval-harness and Koehn 2004 use for "is model A better than B on this set").
 *
 * Each resample draws n item indices with replacement and takes mean(a[i] - b[i]) over them; the
 * interval is the percentile interval of those R means: the values at ranks floor(R * alpha/2) and
 * ceil(R * (1 - alpha/2)) - 1 of the sorted resamples (alpha = 1 - level). Pure: the Rng is given.
 */
import type { Rng } from '../contracts.js';

export interface PairedBootstrap {
  /** mean(a) - mean(b) on the full set */
  readonly delta: number;
  readonly low: number;
  readonly high: number;
  /** the confidence level of [low, high], e.g. 0.95 */
  readonly level: number;
  readonly resamples: number;
  /** standard deviation of the resampled deltas (the bootstrap standard error) */
  readonly stderr: number;
  readonly items: number;
}

export function pairedBootstrap(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rng: Rng,
  resamples: number,
  level: number,
): PairedBootstrap {
  const n = a.length;
  if (n !== b.length) throw new Error(`paired bootstrap: ${n} scores against ${b.length}`);
  if (n === 0) throw new Error('paired bootstrap: no items');
  if (!(level > 0 && level < 1)) throw new Error(`paired bootstrap: level ${level} is not in (0, 1)`);
  if (!(Number.isInteger(resamples) && resamples >= 1)) throw new Error(`paired bootstrap: ${resamples} resamples`);
  const diff = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    diff[i] = a[i] - b[i];
    total += diff[i];
  }
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += diff[rng.int(n)];
    means[r] = s / n;
  }
  means.sort();
  const alpha = 1 - level;
  const lowRank = Math.min(resamples - 1, Math.floor(resamples * (alpha / 2)));
  const highRank = Math.max(0, Math.min(resamples - 1, Math.ceil(resamples * (1 - alpha / 2)) - 1));
  let m = 0;
  for (const v of means) m += v;
  m /= resamples;
  let ss = 0;
  for (const v of means) ss += (v - m) ** 2;
  return {
    delta: total / n,
    low: means[lowRank],
    high: means[highRank],
    level,
    resamples,
    stderr: Math.sqrt(ss / Math.max(1, resamples - 1)),
    items: n,
  };
}
