/**
 * The unit of every kick-* result: one score per item, kept with its id (and, with --log-samples,
 * the prompt and the model's output), so two runs on the same items can be compared item by item
 * (paired bootstrap, disagreements) and a user can see why a number moved.
 */

export interface ItemScore {
  /** stable across models and runs: e.g. `abstract_algebra/test/0` */
  readonly id: string;
  /** the headline score of this item: 1/0 for a hit, a fraction for F1, a judge score, ... */
  readonly score: number;
  /** groups the item counts in (a subject, a category); aggregated as micro means */
  readonly groups?: readonly string[];
  /** other per-item numbers (f1, tokens generated, shots used, ...) */
  readonly extra?: Readonly<Record<string, number>>;
  /** exactly what the model was given (kept only with --log-samples) */
  readonly prompt: string;
  /** what the model produced, decoded (kept only with --log-samples) */
  readonly output: string;
  /** what a hit needed (the gold letter, the aliases, ...) */
  readonly target?: string | readonly string[];
}

/** A logged sample: the item score as written to the result JSON. */
export type SampleRecord = ItemScore;

/** Mean of the scores: the micro average every kick-* headline uses. */
export function meanScore(scores: readonly ItemScore[]): number {
  let sum = 0;
  for (const s of scores) sum += s.score;
  return scores.length === 0 ? Number.NaN : sum / scores.length;
}

/**
 * Standard error of a mean of per-item scores: sample standard deviation / sqrt(n), as
 * lm-evaluation-harness's `mean_stderr`. For 0/1 scores it is sqrt(p(1-p)/(n-1)).
 */
export function meanStderr(values: readonly number[]): number | undefined {
  const n = values.length;
  if (n < 2) return undefined;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return Math.sqrt(ss / (n - 1) / n);
}
