/**
 * Judge-free numbers for free-form output (spec llm-kick.md §3): distinct-n (Li et al. 2016: distinct
 * n-grams / all n-grams over the whole set of outputs), the unique-token ratio of each output, and
 * the share of empty outputs. Tokens are whitespace-separated words, lowercased.
 */

function words(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter(Boolean);
}

/** distinct-n over all outputs together; 0 when they hold no n-gram at all. */
export function distinctN(outputs: readonly string[], n: number): number {
  const seen = new Set<string>();
  let total = 0;
  for (const text of outputs) {
    const w = words(text);
    for (let i = 0; i + n <= w.length; i++) {
      seen.add(w.slice(i, i + n).join('\u0001'));
      total++;
    }
  }
  return total === 0 ? 0 : seen.size / total;
}

/** unique words / words of one output (0 for an empty one). */
export function uniqueTokenRatio(text: string): number {
  const w = words(text);
  return w.length === 0 ? 0 : new Set(w).size / w.length;
}

/** share of outputs that are empty after trimming */
export function emptyRate(outputs: readonly string[]): number {
  return outputs.length === 0 ? 0 : outputs.filter((o) => o.trim() === '').length / outputs.length;
}

/**
 * The judge-free statistics of a set of answers, each over every answer. An answer the judge could
 * not score still was generated: its length, diversity and ROUGE against the dense answer count like
 * any other's (issue 17's audit: a mean over the scored items only had a denominator that did not
 * match the answers it described).
 */
export function answerStatistics(
  texts: readonly string[],
  rouge?: readonly { rouge1: number; rouge2: number; rougeL: number }[],
): {
  empty_rate: number;
  distinct_1: number;
  distinct_2: number;
  unique_token_ratio: number | undefined;
  rouge1?: number;
  rouge2?: number;
  rougeL?: number;
} {
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((t, x) => t + x, 0) / xs.length : undefined);
  if (rouge && rouge.length !== texts.length)
    throw new Error(`answerStatistics: ${rouge.length} ROUGE scores for ${texts.length} answers`);
  return {
    empty_rate: emptyRate(texts),
    distinct_1: distinctN(texts, 1),
    distinct_2: distinctN(texts, 2),
    unique_token_ratio: mean(texts.map(uniqueTokenRatio)),
    ...(rouge
      ? {
          rouge1: mean(rouge.map((r) => r.rouge1)),
          rouge2: mean(rouge.map((r) => r.rouge2)),
          rougeL: mean(rouge.map((r) => r.rougeL)),
        }
      : {}),
  };
}
