import { distance } from 'fastest-levenshtein';

/** The closest known name within a small edit distance, for "did you mean" hints. */
export function didYouMean(input: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(input.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(best.length / 3));
  return bestD <= limit || best.startsWith(input) || input.startsWith(best) ? best : undefined;
}
