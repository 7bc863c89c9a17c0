/**
 * What a method left alone, said once per reason: "12 tensors (3,456 elements) left float: fewer
 * than --min-size 1024 elements (largest: conv2.bias, 512); lower --min-size to take them", instead
 * of one line per tensor. Every method (first-party or community) groups its skips through here,
 * and "no weight qualifies" takes its hint from the reason that kept the largest tensor out, so the
 * hint names the real cause (the opset, a filter, the size floor) rather than a guess.
 */
import { ErrorCodes, UserError } from '../errors.js';

/** One tensor a method did not (fully) take. */
export interface SkipItem {
  readonly name: string;
  readonly elements: number;
  /** this tensor's own reason, naming its readers or sizes (the per-tensor JSON report keeps it) */
  readonly reason: string;
  /** the reason shared by every tensor left for the same cause; groups the summary (default: `reason`) */
  readonly cause?: string;
  /** what the user can do about it, where anything helps */
  readonly hint?: string;
}

/** The SkipItem of a tensor selectWeights (or a method) left alone. */
export function skipItemOf(s: {
  readonly init: { readonly name: string; readonly elementCount: number };
  readonly reason: string;
  readonly cause?: string;
  readonly hint?: string;
}): SkipItem {
  return { name: s.init.name, elements: s.init.elementCount, reason: s.reason, cause: s.cause, hint: s.hint };
}

export interface SkipGroup {
  readonly cause: string;
  readonly hint?: string;
  readonly tensors: number;
  readonly elements: number;
  readonly largest: { readonly name: string; readonly elements: number };
}

const count = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

/** Skipped tensors grouped by cause, the group holding the largest tensor first. */
export function groupSkips(items: readonly SkipItem[]): SkipGroup[] {
  const groups = new Map<
    string,
    { cause: string; hint?: string; tensors: number; elements: number; largest: { name: string; elements: number } }
  >();
  for (const item of items) {
    const cause = item.cause ?? item.reason;
    const g = groups.get(cause);
    if (!g) {
      groups.set(cause, {
        cause,
        hint: item.hint,
        tensors: 1,
        elements: item.elements,
        largest: { name: item.name, elements: item.elements },
      });
      continue;
    }
    g.tensors += 1;
    g.elements += item.elements;
    g.hint ??= item.hint;
    if (item.elements > g.largest.elements) g.largest = { name: item.name, elements: item.elements };
  }
  return [...groups.values()].sort((a, b) => b.largest.elements - a.largest.elements || b.elements - a.elements);
}

/** One line per cause: `N tensors (E elements) <verb>: <cause> (largest: name, E); <hint>`. */
export function skipSummaryLines(items: readonly SkipItem[], verb = 'skipped'): string[] {
  return groupSkips(items).map((g) => {
    const largest = g.tensors > 1 ? `largest: ${g.largest.name}, ${count(g.largest.elements)}` : g.largest.name;
    return `${plural(g.tensors, 'tensor')} (${plural(g.elements, 'element')}) ${verb}: ${g.cause} (${largest})${g.hint ? `; ${g.hint}` : ''}`;
  });
}

/**
 * The "no weight qualifies" error: the message names the tensors skipped and the cause that kept the
 * largest one out; the hint is that of the first cause (largest tensor first) that has one, else
 * `fallbackHint` (what the method takes).
 */
export function nothingQualifies(method: string, items: readonly SkipItem[], fallbackHint: string): UserError {
  const groups = groupSkips(items);
  if (groups.length === 0) {
    return new UserError(
      ErrorCodes.NOTHING_TO_COMPRESS,
      `${method}: no weight qualifies (the model has no float weights)`,
      { hint: fallbackHint },
    );
  }
  const top = groups[0];
  const what = `${plural(items.length, 'float tensor')} skipped; the largest, ${top.largest.name} with ${plural(top.largest.elements, 'element')}: ${top.cause}`;
  return new UserError(ErrorCodes.NOTHING_TO_COMPRESS, `${method}: no weight qualifies (${what})`, {
    hint: groups.find((g) => g.hint !== undefined)?.hint ?? fallbackHint,
  });
}
