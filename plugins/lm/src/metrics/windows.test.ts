import { classicChunks, slidingWindows, stridedWindows, type WindowPlan } from './windows.js';

/** Which stream tokens a plan scores (a target at window position t is stream token begin + t + 1). */
function scoredTokens(plan: WindowPlan): number[] {
  const out: number[] = [];
  for (const w of plan.windows) for (let t = w.scoreFrom; t < w.length; t++) out.push(w.begin + t + 1);
  return out;
}

describe('slidingWindows (llm-compression, block 1900 / stride 512)', () => {
  // The spec's table (bpc-perplexity.md §C.3), from a simulation of the reference code.
  it.each([
    [1901, 1, 1900, 0],
    [2412, 1, 1900, 511],
    [2413, 2, 2412, 0],
    [5000, 7, 4972, 27],
    [10000, 16, 9580, 419],
  ])('N = %i -> %i windows, %i scored, %i unscored tail', (n, windows, scored, tail) => {
    const plan = slidingWindows(n, 1900, 512);
    expect(plan.windows).toHaveLength(windows);
    expect(plan.scored).toBe(scored);
    expect(plan.tail).toBe(tail);
    // Tokens 1..scored, each exactly once; token 0 never.
    const tokens = scoredTokens(plan);
    expect(tokens).toHaveLength(scored);
    expect(tokens[0]).toBe(1);
    expect(tokens[tokens.length - 1]).toBe(scored);
    expect(new Set(tokens).size).toBe(scored);
    expect(scored + tail + 1).toBe(n);
  });

  it('scores all 1900 targets of window 0 and the last 512 of every later window', () => {
    const plan = slidingWindows(10000, 1900, 512);
    expect(plan.windows[0]).toEqual({ begin: 0, length: 1900, scoreFrom: 0 });
    expect(plan.windows[1]).toEqual({ begin: 512, length: 1900, scoreFrom: 1388 });
    // The first scored token of window 1 is stream token 512 + 1388 + 1 = 1901, with 1389 tokens of context.
    expect(plan.windows[1].begin + plan.windows[1].scoreFrom + 1).toBe(1901);
  });

  it('builds no window when the stream is shorter than block + 1', () => {
    expect(slidingWindows(1900, 1900, 512)).toEqual({ windows: [], scored: 0, tail: 1900 });
  });

  it('matches the shared LM reference setting (block 512, stride 128: 156,774 tokens -> 1,221 windows, 156,672 scored)', () => {
    const plan = slidingWindows(156774, 512, 128);
    expect(plan.windows).toHaveLength(1221);
    expect(plan.scored).toBe(156672);
  });
});

describe('classicChunks (WikiText-2 protocol)', () => {
  it('cuts floor(N / seqlen) chunks, scores seqlen - 1 per chunk, drops the tail', () => {
    const plan = classicChunks(5000, 2048);
    expect(plan.windows).toEqual([
      { begin: 0, length: 2047, scoreFrom: 0 },
      { begin: 2048, length: 2047, scoreFrom: 0 },
    ]);
    expect(plan.scored).toBe(4094);
    expect(plan.tail).toBe(5000 - 4096);
    const tokens = scoredTokens(plan);
    expect(tokens.includes(0)).toBe(false);
    expect(tokens.includes(2048)).toBe(false); // first token of chunk 1 is never scored
  });
});

describe('stridedWindows (Hugging Face guide)', () => {
  it('with stride < max length, scores every token after the first exactly once, the tail included', () => {
    for (const [n, maxLength, stride] of [
      [10, 4, 2],
      [1000, 128, 64],
      [1001, 100, 37],
      [5, 8, 4],
    ]) {
      const plan = stridedWindows(n, maxLength, stride);
      const tokens = scoredTokens(plan);
      expect(tokens).toEqual(Array.from({ length: n - 1 }, (_, i) => i + 1));
      expect(plan.scored).toBe(n - 1);
    }
  });

  it('with stride = max length, like the guide, leaves the first token of every window unscored', () => {
    const plan = stridedWindows(300, 128, 128);
    const tokens = scoredTokens(plan);
    expect(tokens.includes(128)).toBe(false);
    expect(tokens.includes(256)).toBe(false);
    expect(plan.scored).toBe(299 - 2);
    expect(plan.windows[2]).toEqual({ begin: 256, length: 43, scoreFrom: 0 }); // the short last window is kept
  });

  it('follows the guide loop: windows every stride, the last one short, stop at the end', () => {
    const plan = stridedWindows(10, 4, 2);
    // begin 0: end 4 -> inputs 3, all scored; begin 2: end 6, trg_len 2 -> last 2 of 3; ...; begin 6: end 10 -> stop.
    expect(plan.windows).toEqual([
      { begin: 0, length: 3, scoreFrom: 0 },
      { begin: 2, length: 3, scoreFrom: 1 },
      { begin: 4, length: 3, scoreFrom: 1 },
      { begin: 6, length: 3, scoreFrom: 1 },
    ]);
  });
});
