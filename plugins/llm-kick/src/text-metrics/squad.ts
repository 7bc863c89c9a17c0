/**
 * TriviaQA's answer normalization and the two scores LLM-KICK's ICR-QA reports (spec llm-kick.md
 * §2.3; incontext_qa/utils/triviaqa_evaluation.py and main_icrqa.py), written to match the Python.
 */

// Python's string.punctuation plus the four quote marks triviaqa_evaluation.py adds.
const PUNCTUATION = new Set([...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', '‘', '’', '´', '`']);

/** normalize_answer: "_" -> " ", lower, punctuation -> " ", drop a/an/the, collapse whitespace, strip. */
export function normalizeAnswer(s: string): string {
  const lowered = s.replaceAll('_', ' ').toLowerCase();
  const unpunctuated = [...lowered].map((ch) => (PUNCTUATION.has(ch) ? ' ' : ch)).join('');
  // Python's \b is Unicode-aware and JS's is ASCII: they agree wherever an article touches ASCII text or spaces.
  const noArticles = unpunctuated.replace(/\b(a|an|the)\b/g, ' ');
  return noArticles.split(/\s+/).filter(Boolean).join(' ').trim();
}

/**
 * main_icrqa.py's exact match: containment either way after normalization. With `faithful`, an empty
 * (normalized) prediction is a hit, as `"" in gt` is in Python; the clean mode scores it 0.
 */
export function containmentMatch(prediction: string, truth: string, faithful: boolean): boolean {
  const p = normalizeAnswer(prediction);
  const t = normalizeAnswer(truth);
  if (p === '' && !faithful) return false;
  return t.includes(p) || p.includes(t);
}

/** Equality after normalization (triviaqa_evaluation.py's own exact_match_score, which main_icrqa.py overrides). */
export function strictMatch(prediction: string, truth: string): boolean {
  return normalizeAnswer(prediction) === normalizeAnswer(truth);
}

/** SQuAD token F1 after normalization; 0 when no token is shared. */
export function tokenF1(prediction: string, truth: string): number {
  const p = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const t = normalizeAnswer(truth).split(' ').filter(Boolean);
  const counts = new Map<string, number>();
  for (const w of t) counts.set(w, (counts.get(w) ?? 0) + 1);
  let same = 0;
  for (const w of p) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      same++;
      counts.set(w, c - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / p.length;
  const recall = same / t.length;
  return (2 * precision * recall) / (precision + recall);
}

/** metric_max_over_ground_truths: the best score over the aliases (0 for none). */
export function maxOverTruths<T extends number | boolean>(
  score: (truth: string) => T,
  truths: readonly string[],
): number {
  let best = 0;
  for (const t of truths) best = Math.max(best, Number(score(t)));
  return best;
}
