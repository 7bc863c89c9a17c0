import { createRng } from '@mc-kit/core';
import { pairedBootstrap } from './bootstrap.js';
import { compare } from './run-task.js';

// Hand-made pair: a scores 8/10, b scores 5/10; they differ on items 0, 2 and 7 (a right, b wrong).
const A = [1, 1, 1, 0, 1, 0, 1, 1, 1, 1];
const B = [0, 1, 0, 0, 1, 0, 1, 0, 1, 1];

describe('pairedBootstrap', () => {
  it('gives the full-set delta and a percentile interval that contains it', () => {
    const r = pairedBootstrap(A, B, createRng(1234), 2000, 0.95);
    expect(r.delta).toBeCloseTo(0.3, 12);
    expect(r).toMatchObject({ resamples: 2000, level: 0.95, items: 10 });
    expect(r.low).toBeLessThanOrEqual(0.3);
    expect(r.high).toBeGreaterThanOrEqual(0.3);
    // diffs are 3 ones and 7 zeros: every resampled mean is k/10 with k in 0..10, and the 95% range of
    // Binomial(10, 0.3)/10 is [0.1, 0.6] (P(k <= 0) = 0.028, P(k >= 7) = 0.011), so the ends land there or one step off.
    expect(r.low).toBeGreaterThanOrEqual(0);
    expect(r.low).toBeLessThanOrEqual(0.1 + 1e-12);
    expect(r.high).toBeGreaterThanOrEqual(0.5 - 1e-12);
    expect(r.high).toBeLessThanOrEqual(0.7 + 1e-12);
    // bootstrap sd of the mean ~ sqrt(0.3 * 0.7 / 10) = 0.145
    expect(Math.abs(r.stderr - 0.145)).toBeLessThan(0.01);
  });

  it('is deterministic for a seed and moves with another', () => {
    const one = pairedBootstrap(A, B, createRng(7), 500, 0.9);
    expect(pairedBootstrap(A, B, createRng(7), 500, 0.9)).toEqual(one);
    const other = pairedBootstrap(A, B, createRng(8), 500, 0.9);
    expect(other.delta).toBe(one.delta);
    expect(other.stderr).not.toBe(one.stderr);
  });

  it('collapses to the delta when every item moves the same way', () => {
    const r = pairedBootstrap([1, 1, 1], [0, 0, 0], createRng(1), 100, 0.95);
    expect(r).toMatchObject({ delta: 1, low: 1, high: 1, stderr: 0 });
  });

  it('refuses vectors of different lengths', () => {
    expect(() => pairedBootstrap([1, 0], [1], createRng(1), 100, 0.95)).toThrow(/2 scores against 1/);
  });
});

describe('compare', () => {
  const item = (id: string, score: number) => ({ id, score, prompt: '', output: '' });
  it('pairs by id, lists the disagreements, and leaves unpaired items out', () => {
    const model = A.map((s, i) => item(`q${i}`, s)).concat(item('only-model', 1));
    const baseline = B.map((s, i) => item(`q${i}`, s)).reverse();
    const c = compare(model, baseline, { resamples: 1000, level: 0.95 }, { rng: createRng(3) });
    expect(c.delta).toBeCloseTo(0.3, 12);
    expect(c.items).toBe(10);
    expect(c.unpaired).toBe(1);
    expect(c.seed).toBe(3);
    // the delta is the difference of the paired means, which the user can check (issue 17 audit)
    expect(c.pairedMeans.model - c.pairedMeans.baseline).toBeCloseTo(c.delta, 12);
    expect(c.pairedMeans.model).toBeCloseTo(A.reduce((t, x) => t + x, 0) / A.length, 12);
    expect(c.baselineOnly).toBe(0);
    expect(c.disagreements).toEqual([
      { id: 'q0', model: 1, baseline: 0 },
      { id: 'q2', model: 1, baseline: 0 },
      { id: 'q7', model: 1, baseline: 0 },
    ]);
  });

  it('counts the items only the baseline scored', () => {
    const model = A.slice(0, 8).map((s, i) => item(`q${i}`, s));
    const baseline = B.map((s, i) => item(`q${i}`, s));
    const c = compare(model, baseline, { resamples: 100, level: 0.95 }, { rng: createRng(3) });
    expect([c.items, c.unpaired, c.baselineOnly]).toEqual([8, 0, 2]);
    expect(c.pairedMeans.baseline).toBeCloseTo(B.slice(0, 8).reduce((t, x) => t + x, 0) / 8, 12);
  });
});
