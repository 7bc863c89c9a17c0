import { createRng } from '../rng.js';
import { argmax, cutAtStop, sampleToken } from './generate-sampling.js';

describe('argmax', () => {
  it('takes the first of tied maxima, as torch.argmax does', () => {
    expect(argmax([1, 3, 3, 0])).toBe(1);
    expect(argmax(Float32Array.of(-5, -1, -2))).toBe(1);
  });
});

describe('sampleToken', () => {
  const logits = [0, Math.log(2), Math.log(5), -Infinity];

  it('draws in proportion to softmax(logits / T): 1/8, 2/8, 5/8 at T = 1', () => {
    const rng = createRng(7);
    const counts = [0, 0, 0, 0];
    const n = 40_000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, 1, rng)]++;
    // 4 binomial standard deviations of p(1-p)/n are below 0.01 for every p here
    expect(Math.abs(counts[0] / n - 1 / 8)).toBeLessThan(0.01);
    expect(Math.abs(counts[1] / n - 2 / 8)).toBeLessThan(0.01);
    expect(Math.abs(counts[2] / n - 5 / 8)).toBeLessThan(0.01);
    expect(counts[3]).toBe(0);
  });

  it('at T = 0.5 the weights are squared: 1/30, 4/30, 25/30', () => {
    const rng = createRng(3);
    const counts = [0, 0, 0, 0];
    const n = 40_000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, 0.5, rng)]++;
    expect(Math.abs(counts[0] / n - 1 / 30)).toBeLessThan(0.01);
    expect(Math.abs(counts[2] / n - 25 / 30)).toBeLessThan(0.01);
  });

  it('topK keeps only the k largest logits', () => {
    const rng = createRng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(sampleToken(logits, 1, rng, 2));
    expect([...seen].sort()).toEqual([1, 2]);
  });

  it('is greedy at temperature 0 and reproducible for a seed', () => {
    expect(sampleToken(logits, 0, createRng(1))).toBe(2);
    const a = createRng(42);
    const b = createRng(42);
    const draws = (r: ReturnType<typeof createRng>) => Array.from({ length: 50 }, () => sampleToken(logits, 1, r));
    expect(draws(a)).toEqual(draws(b));
  });
});

describe('cutAtStop', () => {
  it('cuts before the earliest stop string and leaves text without one alone', () => {
    expect(cutAtStop('Paris\nQ: next', ['\n'])).toBe('Paris');
    expect(cutAtStop('one. two\nthree', ['\n', '.'])).toBe('one');
    expect(cutAtStop('no stop here', ['###'])).toBeUndefined();
    expect(cutAtStop('abc', [''])).toBeUndefined();
  });
});
