/**
 * Reading scores out of a judge's reply (spec llm-kick.md §2.4-2.5 parse_score). Faithful: the
 * reference's rules, where anything else is unparseable ([-1, -1], left out of the means). Clean:
 * the fix the spec recommends, the first numbers found, "Assistant N" labels aside (scores outside 0..10 are refused).
 */

/** Python float(): surrounding whitespace allowed, nothing else. */
function pyFloat(token: string): number | undefined {
  const t = token.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

const NUMBER = /[+-]?(?:\d+\.?\d*|\.\d+)/g;

/** The numbers of a text, "Assistant 1"/"Assistant 2" labels left out (they are not scores). */
function numbersOf(text: string): number[] {
  return (text.replace(/assistant\s*\d+/gi, ' ').match(NUMBER) ?? []).map(Number);
}

function inRange(v: number): boolean {
  return v >= 0 && v <= 10;
}

/**
 * The instruction task's score pair [Assistant 1, Assistant 2]. Faithful: the first line, "," -> " ",
 * split on " ": exactly two tokens, each a float. Clean: the first two numbers anywhere in the reply.
 */
export function parsePairScore(review: string, faithful: boolean): [number, number] | undefined {
  if (faithful) {
    const tokens = review.split('\n')[0].replaceAll(',', ' ').split(' ');
    if (tokens.length !== 2) return undefined;
    const [a, b] = tokens.map(pyFloat);
    return a === undefined || b === undefined ? undefined : [a, b];
  }
  const numbers = numbersOf(review);
  if (numbers.length < 2 || !numbers.slice(0, 2).every(inRange)) return undefined;
  return [numbers[0], numbers[1]];
}

/**
 * The summarization task's four score pairs (coherence, consistency, fluency, relevance), each
 * [Assistant 1, Assistant 2]. Faithful: lines 0-3, float(tok0) and float(tok1) of each split on " ".
 * Clean: the first four lines holding two numbers, their first two numbers.
 */
export function parseFourPairs(review: string, faithful: boolean): [number, number][] | undefined {
  const lines = review.split('\n');
  const pairs: [number, number][] = [];
  if (faithful) {
    for (const line of lines.slice(0, 4)) {
      const tokens = line.split(' ');
      const a = pyFloat(tokens[0] ?? '');
      const b = pyFloat(tokens[1] ?? '');
      if (a === undefined || b === undefined) return undefined;
      pairs.push([a, b]);
    }
    return pairs.length === 4 ? pairs : undefined;
  }
  for (const line of lines) {
    const numbers = numbersOf(line);
    if (numbers.length >= 2 && inRange(numbers[0]) && inRange(numbers[1])) pairs.push([numbers[0], numbers[1]]);
    if (pairs.length === 4) return pairs;
  }
  return undefined;
}
