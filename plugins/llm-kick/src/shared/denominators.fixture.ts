/**
 * The denominator invariants every kick-* result must hold (issue 17 item 1), asserted on real runs
 * by each task's tests: the headline and every group mean divide the score sum of exactly the items
 * they summed, and each kind of group (subject, category, ...) counts every scored item once.
 */
import type { MetricResult } from '@mc-kit/core';

export function expectDenominatorsHold(r: MetricResult, headline: string): void {
  const items = r.details?.items as { id: string; score: number }[];
  expect(r.sums.items).toBe(items.length);
  expect(r.samples).toBe(items.length);
  expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
  expect(r.sums.score_sum).toBeCloseTo(
    items.reduce((t, i) => t + i.score, 0),
    9,
  );
  expect(r.values[headline].value).toBeCloseTo(r.sums.score_sum / r.sums.items, 12);
  const perKind = new Map<string, number>();
  for (const key of Object.keys(r.sums)) {
    const m = /^(.+)\.items$/.exec(key);
    if (!m || m[1] === 'baseline') continue;
    expect(r.values[m[1]].value).toBeCloseTo(r.sums[`${m[1]}.score_sum`] / r.sums[key], 12);
    const kind = m[1].split('/')[0];
    perKind.set(kind, (perKind.get(kind) ?? 0) + r.sums[key]);
  }
  for (const [, counted] of perKind) expect(counted).toBe(items.length);
}
