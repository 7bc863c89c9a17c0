/**
 * ROUGE-1/2/L F1 through js-rouge (npm; MIT, TypeScript types, maintained by promptfoo; the library
 * the spec names): n-gram and LCS F-measures over its word tokenizer, case-insensitive here.
 * js-rouge refuses empty strings; an empty candidate or reference scores 0 (both empty: 1).
 */
import * as rouge from 'js-rouge';

export interface RougeScores {
  readonly rouge1: number;
  readonly rouge2: number;
  readonly rougeL: number;
}

export function rougeScores(candidate: string, reference: string): RougeScores {
  const c = candidate.trim();
  const r = reference.trim();
  if (c === '' || r === '') {
    const v = c === r ? 1 : 0;
    return { rouge1: v, rouge2: v, rougeL: v };
  }
  return {
    rouge1: rouge.n(c, r, { n: 1, caseSensitive: false }),
    rouge2: safe(() => rouge.n(c, r, { n: 2, caseSensitive: false })),
    rougeL: rouge.l(c, r, { caseSensitive: false }),
  };
}

/** A one-word text has no bigram: js-rouge then divides by zero; that is no overlap. */
function safe(f: () => number): number {
  const v = f();
  return Number.isFinite(v) ? v : 0;
}
