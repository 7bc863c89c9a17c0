import { compareTensors } from './compare.js';

describe('compareTensors', () => {
  const f = (...v: number[]) => ({ type: 'float32' as const, dims: [v.length], data: Float32Array.from(v) });
  it('is the largest difference over the largest reference magnitude', () => {
    expect(compareTensors('y', f(1, -4, 2), f(1, -4.002, 2.001))).toEqual({
      name: 'y',
      maxAbsDiff: expect.closeTo(0.002, 6),
      relative: expect.closeTo(0.0005, 6),
    });
  });
  it('treats NaN in both as equal, NaN in one, another shape or another integer as a mismatch', () => {
    expect(compareTensors('y', f(NaN, 1), f(NaN, 1)).relative).toBe(0);
    expect(compareTensors('y', f(NaN, 1), f(0, 1)).relative).toBe(Infinity);
    expect(compareTensors('y', f(1, 2), f(1, 2, 3)).relative).toBe(Infinity);
    const i = (...v: bigint[]) => ({ type: 'int64' as const, dims: [v.length], data: BigInt64Array.from(v) });
    expect(compareTensors('k', i(1n, 2n), i(1n, 2n)).relative).toBe(0);
    expect(compareTensors('k', i(1n, 2n), i(1n, 3n)).relative).toBe(Infinity);
  });
});
