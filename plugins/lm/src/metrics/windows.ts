/**
 * Window arithmetic of the two protocols, as pure functions (spec bpc-perplexity.md).
 *
 * A window is `length + 1` stream tokens starting at `begin`: inputs are its first `length` tokens,
 * targets its last `length`, and targets at positions >= `scoreFrom` are scored.
 */

export interface Window {
  readonly begin: number;
  /** number of input tokens (targets = the same count, shifted by one) */
  readonly length: number;
  /** first scored target position inside the window */
  readonly scoreFrom: number;
}

export interface WindowPlan {
  readonly windows: readonly Window[];
  /** targets scored over all windows (each stream token at most once) */
  readonly scored: number;
  /** stream tokens after the last scored one that no window scores */
  readonly tail: number;
}

/**
 * The llm-compression sliding window (spec A.3 step 5-6): B = block + 1 tokens per window, a window
 * every `stride` tokens, L = floor((N - B) / stride + 1) windows, no partial window. Window 0 scores
 * all `block` targets, every later one its last `stride` (those not scored before). Stream token 0
 * and a tail of up to stride - 1 tokens are never scored.
 */
export function slidingWindows(n: number, block: number, stride: number): WindowPlan {
  checkPositive({ block, stride });
  const B = block + 1;
  const count = n >= B ? Math.floor((n - B) / stride + 1) : 0;
  const windows: Window[] = [];
  let prevEnd = 0;
  let scored = 0;
  for (let k = 0; k < count; k++) {
    const begin = k * stride;
    const end = begin + B;
    const trgLen = end - prevEnd;
    // mask = [false] * (B - trgLen) + [true] * trgLen over the window; targets are mask[1:].
    const scoreFrom = Math.max(0, B - trgLen - 1);
    windows.push({ begin, length: block, scoreFrom });
    scored += block - scoreFrom;
    prevEnd = end;
  }
  return { windows, scored, tail: count === 0 ? n : n - prevEnd };
}

/**
 * Classic WikiText-2 perplexity (spec B.2): floor(N / seqlen) non-overlapping chunks of `seqlen`
 * tokens, each scoring its last seqlen - 1 tokens (the first token of a chunk is never scored);
 * the tail is dropped.
 */
export function classicChunks(n: number, seqlen: number): WindowPlan {
  checkPositive({ seqlen });
  if (seqlen < 2) throw new RangeError('seqlen must be at least 2');
  const count = Math.floor(n / seqlen);
  const windows: Window[] = [];
  for (let i = 0; i < count; i++) windows.push({ begin: i * seqlen, length: seqlen - 1, scoreFrom: 0 });
  return { windows, scored: count * (seqlen - 1), tail: n - count * seqlen };
}

/**
 * The Hugging Face strided guide (spec B.3): a window of up to `maxLength` tokens every `stride`;
 * each scores the targets not scored before (trg_len = end - prev_end), the last window may be
 * short, and the loop stops once a window reaches the end. Every token after the first is scored
 * exactly once, so the token-weighted mean is exact (no per-window "- batch_size" correction).
 */
export function stridedWindows(n: number, maxLength: number, stride: number): WindowPlan {
  checkPositive({ maxLength, stride });
  const windows: Window[] = [];
  let prevEnd = 0;
  let scored = 0;
  for (let begin = 0; begin < n; begin += stride) {
    const end = Math.min(begin + maxLength, n);
    const trgLen = end - prevEnd;
    const length = end - begin - 1; // inputs: tokens begin..end-2, targets begin+1..end-1
    if (length >= 1) {
      // labels[:, :-trg_len] = -100, then the shift drops label 0: scored targets are the last
      // min(trg_len, length) of the window.
      const scoreFrom = Math.max(0, length - trgLen);
      windows.push({ begin, length, scoreFrom });
      scored += length - scoreFrom;
    }
    prevEnd = end;
    if (end === n) break;
  }
  return { windows, scored, tail: 0 };
}

function checkPositive(values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer (got ${v})`);
  }
}
