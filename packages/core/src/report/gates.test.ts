import { parseGates } from '../gates.js';
import { checkReportGates } from './gates.js';
import type { Report, ReportRow } from './types.js';

const row = (label: string, dense: boolean, figures: Record<string, number>): ReportRow =>
  ({
    label,
    dense,
    series: label,
    source: 's',
    steps: [],
    model: { path: label, sha256: label, bytes: 1 },
    metrics: {},
    figures,
    results: [],
  }) as ReportRow;
const report = (rows: ReportRow[]): Report => ({
  rows,
  metrics: [],
  notes: [],
  bootstrap: { resamples: 1, level: 0.95, seed: 0 },
});

describe('checkReportGates', () => {
  const r = report([
    row('dense', true, { 'accuracy.top1': 0.99 }),
    row('int8', false, { 'accuracy.top1': 0.98, 'accuracy.delta': -0.01 }),
    row('prune', false, { 'accuracy.top1': 0.5, 'accuracy.delta': -0.49 }),
  ]);

  it('checks every compressed row, not the dense one', () => {
    const out = checkReportGates(r, parseGates(['accuracy.delta>=-0.05']));
    expect(out.map((o) => [o.where, o.value, o.passed])).toEqual([
      ['int8', -0.01, true],
      ['prune', -0.49, false],
    ]);
  });

  it('a row without a figure that others have fails that gate with NaN', () => {
    const partial = report([row('dense', true, {}), row('a', false, { 'kld.mean': 0.001 }), row('b', false, {})]);
    const out = checkReportGates(partial, parseGates(['kld.mean<0.01']));
    expect(out.map((o) => [o.where, o.passed])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(Number.isNaN(out[1].value)).toBe(true);
  });

  it('a figure no row has is a user error with did-you-mean', () => {
    expect(() => checkReportGates(r, parseGates(['acuracy.delta>=0']))).toThrow(
      /no figure acuracy\.delta.*did you mean accuracy\.delta/,
    );
  });

  it('no gates, no outcomes', () => {
    expect(checkReportGates(r, [])).toEqual([]);
  });
});
