/**
 * FreebaseQA prompt and hit rule (spec llm-kick.md §2.1, factoid_qa/main_freebase.py).
 */

/** "\n" before "The answer is " in the pruning code, " " in the GPTQ script; a trailing space in both. */
export type FreebasePromptVariant = 'newline' | 'space';

export function freebasePrompt(question: string, variant: FreebasePromptVariant = 'newline'): string {
  return `Please give answer to this question: ${question}${variant === 'newline' ? '\n' : ' '}The answer is `;
}

/** Spaces removed, lowercased: validate_response's only normalization (quirk c). */
function squash(s: string): string {
  return s.trim().replaceAll(' ', '').toLowerCase();
}

/** validate_response: some alias (squashed) is a substring of the (squashed) text. */
export function aliasHit(text: string, aliases: readonly string[]): boolean {
  const o = squash(text);
  return aliases.some((a) => o.includes(squash(a)));
}
