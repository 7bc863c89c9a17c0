/** Text -> one token stream, the way the reference builds it (spec bpc-perplexity A.2-A.4, B.2). */
import type { TextTokenizer } from '@mc-kit/core';

/** Python's len(str): Unicode code points, not UTF-16 units (an emoji counts once). */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export interface TokenStream {
  readonly ids: Int32Array;
  /** records tokenized (after dropping empty ones where asked) */
  readonly records: number;
  /** code points over those records */
  readonly characters: number;
}

/**
 * llm-compression: drop empty records, tokenize each record on its own (BOS per record where the
 * tokenizer adds one, never EOS, no separator), concatenate in record order.
 */
export function streamPerRecord(records: readonly string[], tokenizer: TextTokenizer): TokenStream {
  const parts: number[][] = [];
  let characters = 0;
  let total = 0;
  for (const r of records) {
    if (r.length === 0) continue;
    characters += codePoints(r);
    const ids = tokenizer.encode(r);
    parts.push(ids);
    total += ids.length;
  }
  const ids = new Int32Array(total);
  let o = 0;
  for (const p of parts) {
    ids.set(p, o);
    o += p.length;
  }
  return { ids, records: parts.length, characters };
}

/** WikiText-2 classic: every record (empty ones included) joined with `join`, tokenized once. */
export function streamJoined(records: readonly string[], join: string, tokenizer: TextTokenizer): TokenStream {
  const text = records.join(join);
  return { ids: Int32Array.from(tokenizer.encode(text)), records: records.length, characters: codePoints(text) };
}
