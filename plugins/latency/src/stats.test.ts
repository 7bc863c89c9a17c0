import { quantile, summarize } from './stats.js';

describe('latency run summaries', () => {
  it("takes quantiles between neighbours at q · (n − 1) (numpy's default)", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12); // p = 2.7: 3 + 0.7 · (4 − 3)
    expect(quantile([7], 0.9)).toBe(7);
    expect(() => quantile([], 0.5)).toThrow(RangeError);
  });

  it('summarizes unsorted run times', () => {
    expect(summarize([4, 1, 3, 2])).toEqual({
      runs: 4,
      p50: 2.5,
      p90: quantile([1, 2, 3, 4], 0.9),
      mean: 2.5,
      min: 1,
      max: 4,
    });
  });
});
