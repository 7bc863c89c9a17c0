import { formatStderr } from './table.js';
import { valueText } from './report-table.js';

describe('a value and its standard error', () => {
  it('shows a real standard error', () => {
    expect(formatStderr(0.0028)).toBe('± 0.0028');
    expect(valueText({ value: 0.9856, stderr: 0.0028, higherIsBetter: true })).toBe('0.9856 ± 0.0028');
  });

  it('shows none for an exact count (stderr 0), none given, or not a number', () => {
    for (const stderr of [0, undefined, Number.NaN, Number.POSITIVE_INFINITY]) expect(formatStderr(stderr)).toBe('');
    expect(valueText({ value: 1, stderr: 0, higherIsBetter: true })).toBe('1');
    expect(valueText({ value: 0.5, higherIsBetter: true })).toBe('0.5000');
  });
});
