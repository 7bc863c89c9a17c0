/**
 * The reference for the KL head (kl-head.ts): per-token KL(base ‖ model), both NLLs and both
 * argmaxes from two logits blocks, in float64 per row, written as the definition reads:
 *   KL = Σ_v p_base(v)·(log p_base(v) − log p(v)),  log p(v) = x_v − logsumexp(x)
 * (llama.cpp tools/perplexity/perplexity.cpp, log_softmax(..., kl_divergence_result &), without its
 * uint16 storage of the base log-probabilities and its cut at log p_base > −16, which only the
 * stored file needed). The argmax is the first of equal maxima, as that scan's strict `>` keeps.
 */

/** One value per token (row). */
export interface TokenKl {
  readonly kl: Float64Array;
  /** NLL of the target under the baseline (dense) model */
  readonly nllBase: Float64Array;
  /** NLL of the target under the model being scored */
  readonly nll: Float64Array;
  readonly topBase: Int32Array;
  readonly top: Int32Array;
}

/** `base` and `logits` [rows, vocab] in C order (float16 converted by the caller). */
export function tokenKlFromLogits(
  base: ArrayLike<number>,
  logits: ArrayLike<number>,
  rows: number,
  vocab: number,
  targets: ArrayLike<number>,
): TokenKl {
  for (const [name, x] of [
    ['base', base],
    ['logits', logits],
  ] as const) {
    if (x.length !== rows * vocab)
      throw new RangeError(`${name} holds ${x.length} values, expected ${rows} x ${vocab}`);
  }
  const out: TokenKl = {
    kl: new Float64Array(rows),
    nllBase: new Float64Array(rows),
    nll: new Float64Array(rows),
    topBase: new Int32Array(rows),
    top: new Int32Array(rows),
  };
  for (let r = 0; r < rows; r++) {
    const o = r * vocab;
    const target = targets[r];
    if (!(target >= 0 && target < vocab)) throw new RangeError(`target ${target} is outside the vocabulary (${vocab})`);
    const [lseA, topA] = logSumExpAndTop(base, o, vocab);
    const [lseB, topB] = logSumExpAndTop(logits, o, vocab);
    let kl = 0;
    for (let v = 0; v < vocab; v++) {
      const logPA = base[o + v] - lseA;
      kl += Math.exp(logPA) * (logPA - (logits[o + v] - lseB));
    }
    out.kl[r] = kl;
    out.nllBase[r] = lseA - base[o + target];
    out.nll[r] = lseB - logits[o + target];
    out.topBase[r] = topA;
    out.top[r] = topB;
  }
  return out;
}

function logSumExpAndTop(x: ArrayLike<number>, o: number, vocab: number): [number, number] {
  let max = -Infinity;
  let top = 0;
  for (let v = 0; v < vocab; v++) {
    if (x[o + v] > max) {
      max = x[o + v];
      top = v;
    }
  }
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(x[o + v] - max);
  return [max + Math.log(sum), top];
}
