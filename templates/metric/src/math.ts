/**
 * The numbers of the metric, apart from the model: pure functions, tested with hand-computed values.
 * Sums are kept, not averages (so shards merge exactly) and the division happens once, at the end.
 *
 * REPLACE: this file is the example metric's math. Put yours here.
 */

/** What the example metric accumulates: Σ nll, Σ nll², and how many samples. */
export interface NllSums {
  nll: number;
  nllSquared: number;
  samples: number;
}

export function emptySums(): NllSums {
  return { nll: 0, nllSquared: 0, samples: 0 };
}

/**
 * Negative log-likelihood of class `label` under softmax(logits[offset .. offset + width)), in nats:
 * logsumexp(z) - z[label], in float64 and shifted by the max so large logits do not overflow.
 */
export function nllOfRow(logits: Float32Array, offset: number, width: number, label: number): number {
  if (!Number.isInteger(label) || label < 0 || label >= width)
    throw new RangeError(`label ${label} is outside 0..${width - 1}`);
  let max = -Infinity;
  for (let j = 0; j < width; j++) max = Math.max(max, logits[offset + j]);
  let sum = 0;
  for (let j = 0; j < width; j++) sum += Math.exp(logits[offset + j] - max);
  return max + Math.log(sum) - logits[offset + label];
}

/** Add `count` rows of `logits` ([count, width], row-major) with their labels to `sums`. */
export function addRows(
  sums: NllSums,
  logits: Float32Array,
  width: number,
  labels: ArrayLike<number>,
  count: number,
): void {
  for (let i = 0; i < count; i++) {
    const nll = nllOfRow(logits, i * width, width, labels[i]);
    sums.nll += nll;
    sums.nllSquared += nll * nll;
    sums.samples += 1;
  }
}

/** Sums of two shards are the sums of the whole. */
export function mergeSums(a: NllSums, b: NllSums): NllSums {
  return { nll: a.nll + b.nll, nllSquared: a.nllSquared + b.nllSquared, samples: a.samples + b.samples };
}

/** Mean nll and its standard error (sample variance / n); stderr is undefined below two samples. */
export function meanNll(s: NllSums): { value: number; stderr?: number } {
  const value = s.nll / s.samples;
  if (s.samples < 2) return { value };
  const variance = Math.max(0, (s.nllSquared - s.samples * value * value) / (s.samples - 1));
  return { value, stderr: Math.sqrt(variance / s.samples) };
}
