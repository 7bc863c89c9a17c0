/**
 * How one greedy token is scored against the gold letter (spec llm-kick.md §2.2 step 5).
 *
 * faithful: `pred = decode(prompt + token)[-1:]`, the last character of the whole text (special
 *   tokens skipped), so a token " B" or "AB" counts as B, and an EOS or an empty piece leaves the
 *   prompt's last character ":" (wrong).
 * clean (default): the new token's own text, whitespace stripped, must be exactly the letter.
 *
 * --answer letters (not the reference): the letter whose token has the highest logit at that position,
 * A-D only, as lm-eval-harness compares the choices instead of generating. A small model that never
 * writes a letter after "Answer:" scores 0 with the reference's greedy token but near chance (25 %)
 * here; the two numbers answer different questions and are labelled as such in the result.
 */
import { ErrorCodes, UserError } from '@mc-kit/core';

export const LETTERS = ['A', 'B', 'C', 'D'] as const;

/** Token ids that spell each letter as one token, with and without a leading space (" A" is what follows "Answer:"). */
export function letterTokenIds(encode: (text: string) => readonly number[]): number[][] {
  return LETTERS.map((letter) => {
    const ids = [` ${letter}`, letter]
      .map(encode)
      .filter((e) => e.length === 1)
      .map((e) => e[0]);
    if (ids.length === 0)
      throw new UserError(
        ErrorCodes.UNSUPPORTED,
        `kick-mcq --answer letters: the tokenizer has no single token for "${letter}" or " ${letter}"`,
        { hint: 'use the reference scoring (--answer greedy)' },
      );
    return [...new Set(ids)];
  });
}

/** The letter whose best token has the highest logit; the first letter wins a tie (torch.argmax). */
export function bestLetter(logits: ArrayLike<number>, letterIds: readonly (readonly number[])[]): string {
  let best = 0;
  let bestLogit = -Infinity;
  letterIds.forEach((ids, i) => {
    const logit = Math.max(...ids.map((id) => logits[id]));
    if (logit > bestLogit) {
      best = i;
      bestLogit = logit;
    }
  });
  return LETTERS[best];
}

/** The last code point of a string (Python's s[-1:]). */
export function lastChar(text: string): string {
  const chars = Array.from(text);
  return chars.length === 0 ? '' : chars[chars.length - 1];
}

/**
 * @param promptTail the decoded text the token follows (its last code point is what an empty token leaves)
 * @param tokenText the new token's decoded text ('' for a special token, as skip_special_tokens gives)
 */
export function predictedLetter(promptTail: string, tokenText: string, faithful: boolean): string {
  return faithful ? lastChar(promptTail + tokenText) : tokenText.trim();
}
