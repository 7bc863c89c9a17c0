import type { TextTokenizer } from '@mc-kit/core';
import { codePoints, streamJoined, streamPerRecord } from './text-stream.js';

/** A LLaMA-like tokenizer stand-in: one id per code point, BOS (1) before every encoded text. */
const llamaLike: TextTokenizer = {
  digest: 'test',
  vocabSize: 0x110000,
  bosId: 1,
  addsBos: true,
  encode: (text) => [1, ...[...text].map((c) => c.codePointAt(0)! + 10)],
  decode: () => '',
};

describe('text streams', () => {
  it('counts code points, not UTF-16 units: an emoji is one character', () => {
    const s = 'def f(): return "🐍"';
    expect(s.length).toBe(20); // the snake is a surrogate pair in UTF-16
    expect(codePoints(s)).toBe(19);
    expect(codePoints('')).toBe(0);
  });

  it('tokenizes each record on its own: BOS per record, no EOS, no separator, empty records dropped', () => {
    const stream = streamPerRecord(['ab', '', 'c🐍'], llamaLike);
    const id = (c: string) => c.codePointAt(0)! + 10;
    expect(Array.from(stream.ids)).toEqual([1, id('a'), id('b'), 1, id('c'), id('🐍')]);
    expect(stream.records).toBe(2);
    expect(stream.characters).toBe(4);
  });

  it('joins every record (empty ones included) before tokenizing once, for the classic protocol', () => {
    const stream = streamJoined(['a\n', '', 'b\n'], '\n\n', llamaLike);
    expect(stream.ids[0]).toBe(1); // one BOS, at the start of the whole text only
    expect(stream.ids.filter((v) => v === 1)).toHaveLength(1);
    expect(stream.characters).toBe(codePoints('a\n\n\n\n\nb\n'));
  });
});
