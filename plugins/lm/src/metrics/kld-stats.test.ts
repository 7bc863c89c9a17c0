/**
 * llama.cpp's KLD statistics (kld-stats.ts) on values small enough to do by hand: the error of a
 * mean, the percentile rule, RMS Δp, same-top's binomial error, and shards merging to the whole.
 */
import { addToken, emptyKldSums, kldValues, meanAndUncertainty, mergeKldSums, percentile } from './kld-stats.js';

describe('kld statistics (llama-perplexity --kl-divergence)', () => {
  it('gives a mean its error sqrt((Σx²/n − mean²)/(n − 1)), and none for 10 values or fewer', () => {
    // 0..10: mean 5, Σx²/n = 385/11 = 35, variance 10, error sqrt(10/10) = 1
    const xs = Array.from({ length: 11 }, (_, i) => i);
    expect(
      meanAndUncertainty(
        55,
        xs.reduce((s, x) => s + x * x, 0),
        11,
      ),
    ).toEqual([5, 1]);
    expect(meanAndUncertainty(45, 285, 10)).toEqual([4.5, undefined]);
    expect(meanAndUncertainty(11, 11, 11)).toEqual([1, undefined]); // no spread
  });

  it('interpolates percentiles between neighbours at fraction · (n − 1)', () => {
    const sorted = Float64Array.of(0, 1, 2, 3, 4);
    expect(percentile(sorted, 0.99)).toBeCloseTo(3.96, 12); // p = 3.96: 0.04 · 3 + 0.96 · 4
    expect(percentile(sorted, 0.5)).toBe(2);
    expect(percentile(sorted, 0)).toBe(0);
    expect(percentile(sorted, 1)).toBe(4);
  });

  it('computes Δp from the two NLLs, RMS Δp, and same-top agreement with its binomial error', () => {
    const s = emptyKldSums();
    // 100 tokens: Δp = 0.5 − 0.25 = +0.25 on half, −0.25 on the other half; the top agrees on 50
    for (let i = 0; i < 100; i++)
      addToken(s, 0.01 * i, i % 2 ? -Math.log(0.25) : -Math.log(0.5), i % 2 ? -Math.log(0.5) : -Math.log(0.25), i < 50);
    const v = kldValues(
      s,
      Float64Array.from({ length: 100 }, (_, i) => 0.01 * i),
    );
    expect(v.delta_p.value).toBeCloseTo(0, 12);
    expect(v.rms_delta_p.value).toBeCloseTo(0.25, 12);
    expect(v.same_top.value).toBe(0.5);
    expect(v.same_top.stderr).toBeCloseTo(Math.sqrt(0.25 / 99), 12);
    expect(v.mean.value).toBeCloseTo(0.495, 12);
    expect(v.max.value).toBe(0.99);
    expect(v.p99.value).toBeCloseTo(0.9801, 12); // p = 98.01: 0.99 · 0.98 + 0.01 · 0.99
    expect(Object.keys(v)[0]).toBe('mean'); // the primary value (kld.delta in gates)
  });

  it('merges shards into the sums of the whole run', () => {
    const whole = emptyKldSums();
    const [a, b] = [emptyKldSums(), emptyKldSums()];
    for (let i = 0; i < 30; i++) {
      const args = [0.1 * (i % 7), 1 + (i % 5) / 10, 1 + (i % 3) / 10, i % 4 === 0] as const;
      addToken(whole, ...args);
      addToken(i < 13 ? a : b, ...args);
    }
    const merged = mergeKldSums(a, b);
    for (const [k, value] of Object.entries(whole)) expect(merged[k as keyof typeof merged]).toBeCloseTo(value, 10);
  });
});
