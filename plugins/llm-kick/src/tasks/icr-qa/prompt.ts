/** ICR-QA prompts and the prediction read from the output (spec llm-kick.md §2.3, main_icrqa.py). */

export const CONTEXT_CHARS = 3072;

export function promptEnd(question: string, openBook: boolean): string {
  return `${openBook ? 'Based on these texts, answer these questions:' : 'Answer these questions:'}\n\nQ: ${question}\nA:`;
}

/** (ctx[:3072] + "\n\n" + prompt_end).strip(); ctx is "" closed-book. Python slices code points, so do we. */
export function icrPrompt(question: string, evidence: string, openBook: boolean): string {
  const ctx = openBook ? Array.from(evidence).slice(0, CONTEXT_CHARS).join('') : '';
  return `${ctx}\n\n${promptEnd(question, openBook)}`.trim();
}

/** The first line of the answer, stripped: `text.strip().split("\n")[0]`. */
export function firstLine(text: string): string {
  return text.trim().split('\n')[0];
}

/**
 * faithful: `decode(prompt + generation).split(prompt_end)[1]`, then the first line (the decoded prompt
 * must give prompt_end back; when it does not, the reference would fail, and the generation is used).
 * clean: the first line of the generation itself.
 */
export function prediction(generated: string, decodedAll: string, end: string, faithful: boolean): string {
  if (faithful) {
    const parts = decodedAll.split(end);
    if (parts.length > 1) return firstLine(parts[1]);
  }
  return firstLine(generated);
}
