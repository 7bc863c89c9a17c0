/**
 * The reference for the fused loss head: next-token NLL from logits, in float64 per row, with the
 * max subtracted before exp so large logits cannot overflow (log-sum-exp = m + log Σ exp(x - m)).
 */

/**
 * nll[r] = logsumexp(logits[r, :]) - logits[r, targets[r]] for rows r < rows, logits [rows, vocab]
 * in C order (float16 logits are converted to float32 by the caller).
 */
export function nllFromLogits(
  logits: ArrayLike<number>,
  rows: number,
  vocab: number,
  targets: ArrayLike<number>,
): Float32Array {
  if (logits.length !== rows * vocab)
    throw new RangeError(`logits hold ${logits.length} values, expected ${rows} x ${vocab}`);
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * vocab;
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) if (logits[base + v] > max) max = logits[base + v];
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[base + v] - max);
    const target = targets[r];
    if (!(target >= 0 && target < vocab)) throw new RangeError(`target ${target} is outside the vocabulary (${vocab})`);
    out[r] = max + Math.log(sum) - logits[base + target];
  }
  return out;
}
