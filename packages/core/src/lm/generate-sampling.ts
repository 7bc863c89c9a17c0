/**
 * Choosing the next token from one row of logits, and cutting text at stop strings: pure functions,
 * so greedy/sampling/stop rules are tested without a model.
 */
import type { Rng } from '../contracts.js';

/** Index of the largest value; the first one on ties (as torch.argmax on CPU). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/**
 * One draw from softmax(logits / temperature), optionally over the topK largest logits only
 * (transformers' do_sample applies its default top_k = 50 unless told otherwise). temperature 0 is greedy.
 */
export function sampleToken(logits: ArrayLike<number>, temperature: number, rng: Rng, topK?: number): number {
  if (!(temperature > 0)) return argmax(logits);
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  // Logits below the k-th largest get no weight (ties with it are kept, as torch.topk's filter does).
  const floor = topK && topK > 0 && topK < n ? Float64Array.from(logits).sort().reverse()[topK - 1] : -Infinity;
  const weights = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = logits[i] < floor ? 0 : Math.exp((logits[i] - max) / temperature);
    weights[i] = w;
    total += w;
  }
  let u = rng.next() * total;
  for (let i = 0; i < n; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return argmax(logits); // u landed on the float rounding left over at the end
}

/** The text before the earliest stop string, or undefined when none occurs. */
export function cutAtStop(text: string, stop: readonly string[]): string | undefined {
  let cut = -1;
  for (const s of stop) {
    if (!s) continue;
    const at = text.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut < 0 ? undefined : text.slice(0, cut);
}
