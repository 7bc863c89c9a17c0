/** Run-time summaries: pure functions over the per-run times of one measurement. */

export interface RunSummary {
  readonly runs: number;
  readonly p50: number;
  readonly p90: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** The q-quantile of ascending `sorted`, linear between the two neighbours of q·(n − 1) (numpy's default, R type 7). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  const p = q * (sorted.length - 1);
  const i = Math.floor(p);
  return i + 1 < sorted.length ? sorted[i] + (p - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

export function summarize(times: readonly number[]): RunSummary {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}
