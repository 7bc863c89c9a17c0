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
