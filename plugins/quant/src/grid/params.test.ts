/**
 * The shared grid against hand-computed values (spec quantization.md §2). Scales that are powers of
 * two make the divisions exact, so ties are true ties.
 */
import { roundToType } from './float-types.js';
import { codeOf, gridParams, roundHalfToEven, storedScale } from './params.js';

describe('gridParams', () => {
  it('sym b bits: scale max|w| / (2^(b-1) - 1), zero point 2^(b-1)', () => {
    expect(gridParams(-1, 0.5, 2, 'sym', 'float32')).toEqual({ scale: 1, zp: 2 });
    expect(gridParams(-1, 0.5, 3, 'sym', 'float32')).toEqual({ scale: Math.fround(1 / 3), zp: 4 });
    expect(gridParams(-0.25, 1.75, 4, 'sym', 'float32')).toEqual({ scale: 0.25, zp: 8 });
    expect(gridParams(-1, 0.5, 8, 'sym', 'float32')).toEqual({ scale: Math.fround(1 / 127), zp: 128 });
  });

  it('asym: 2^b - 1 levels over [min, max] widened to 0, zero point rounded half to even', () => {
    expect(gridParams(-0.6, 0.9, 2, 'asym', 'float32')).toEqual({ scale: Math.fround(0.5), zp: 1 }); // round(1.2) = 1
    expect(gridParams(0.5, 3.75, 4, 'asym', 'float32')).toEqual({ scale: 0.25, zp: 0 }); // widened down to 0
    expect(gridParams(-3.75, -1, 4, 'asym', 'float32')).toEqual({ scale: 0.25, zp: 15 }); // widened up to 0
    expect(gridParams(-2.5, 1.25, 4, 'asym', 'float32')).toEqual({ scale: 0.25, zp: 10 });
    expect(gridParams(-0.625, 0.25 * 15 - 0.625, 4, 'asym', 'float32')).toEqual({ scale: 0.25, zp: 2 }); // 2.5 -> 2
  });

  it('clip shrinks the range before the scale is taken (int4 scale search)', () => {
    expect(gridParams(-2, 1, 4, 'sym', 'float32', 0.875)).toEqual({ scale: 0.25, zp: 8 }); // 0.875 * 2 / 7
    expect(gridParams(-2, 2, 4, 'asym', 'float32', 0.9375)).toEqual({ scale: 0.25, zp: 8 }); // 3.75 / 15, 1.875 / 0.25 = 7.5 -> 8
  });

  it('an all-zero group gets scale 1; a scale that rounds to 0 gets the least positive value', () => {
    expect(gridParams(0, 0, 4, 'sym', 'float32')).toEqual({ scale: 1, zp: 8 });
    expect(gridParams(0, 0, 8, 'asym', 'float16')).toEqual({ scale: 1, zp: 0 });
    expect(storedScale(2 ** -40, 'float16')).toBe(2 ** -24);
    expect(storedScale(2 ** -160, 'float32')).toBe(2 ** -149);
    expect(storedScale(2 ** -140, 'bfloat16')).toBe(2 ** -133);
  });

  it('stores the scale rounded to its type, once, from the double', () => {
    const p = gridParams(-1, 0.5, 8, 'sym', 'float16');
    expect(p.scale).toBe(roundToType(1 / 127, 'float16'));
    expect(p.scale).toBe(0.00787353515625); // 1/127 = 0.0078740157..., float16 0x2008
    expect(gridParams(-1, 0.5, 8, 'sym', 'bfloat16').scale).toBe(0.00787353515625); // bfloat16 0x3c01 is the same value
  });
});

describe('codeOf', () => {
  it('rounds half to even, adds the zero point and clamps to 0 .. 2^b - 1', () => {
    expect([0.125, 0.375, -0.125, 10, -10].map((w) => codeOf(w, 0.25, 8, 4))).toEqual([8, 10, 8, 15, 0]);
    expect(codeOf(0.375, 0.25, 0, 2)).toBe(2);
    expect(codeOf(2, 0.25, 0, 2)).toBe(3);
    expect(roundHalfToEven(-2.5)).toBe(-2);
  });
});
