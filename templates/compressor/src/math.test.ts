import { maxRelativeChange, roundMantissa } from './math.js';

describe('roundMantissa', () => {
  // At bits = 2 the numbers between 1 and 2 are 1, 1.25, 1.5, 1.75: each expected value is worked
  // out by hand from that grid (and the grid scaled by powers of two).
  it('rounds to the nearest value on the grid', () => {
    const out = roundMantissa(new Float32Array([1, 1.1, 1.2, 1.6, 3.3, -0.3, 0.75]), 2);
    // 3.3 = 1.65 * 2 -> 1.75 * 2; -0.3 = -1.2 / 4 -> -1.25 / 4
    expect([...out]).toEqual([1, 1, 1.25, 1.5, 3.5, -0.3125, 0.75]);
  });

  it('breaks ties towards the even mantissa, and carries into the exponent', () => {
    // 1.125 lies halfway between 1 (mantissa 00) and 1.25 (01): even is 1.
    // 1.375 lies halfway between 1.25 (01) and 1.5 (10): even is 1.5.
    // 1.875 lies halfway between 1.75 (11) and 2 (1.00 * 2): even is 2.
    const out = roundMantissa(new Float32Array([1.125, 1.375, 1.875, -1.125]), 2);
    expect([...out]).toEqual([1, 1.5, 2, -1]);
  });

  it('matches a cast to bfloat16 at 7 bits', () => {
    // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even -> 1; 1 + 3 * 2^-8 is a tie -> 1 + 2^-6.
    const out = roundMantissa(new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -7]), 7);
    expect([...out]).toEqual([1, 1 + 2 ** -6, 1 + 2 ** -7]);
  });

  it('leaves zeros, infinities and NaN alone, and does not overflow to Infinity', () => {
    const max = 3.4028234663852886e38; // largest float32
    const out = roundMantissa(new Float32Array([0, -0, Infinity, -Infinity, NaN, max]), 2);
    expect(Object.is(out[1], -0)).toBe(true);
    expect([...out.subarray(0, 5)]).toEqual([0, -0, Infinity, -Infinity, NaN]);
    expect(out[5]).toBe(1.75 * 2 ** 127); // cut, not rounded up to Infinity
  });

  it('is the identity at 23 bits, returns a copy, and refuses other bit counts', () => {
    const x = new Float32Array([Math.PI, -Math.E]);
    const out = roundMantissa(x, 23);
    expect(out).toEqual(x);
    expect(out).not.toBe(x);
    expect(() => roundMantissa(x, 24)).toThrow(RangeError);
    expect(() => roundMantissa(x, 1.5)).toThrow(RangeError);
  });
});

describe('maxRelativeChange', () => {
  it('is the largest relative difference, ignoring zeros', () => {
    expect(maxRelativeChange(new Float32Array([1, 0, -2]), new Float32Array([1.25, 5, -2]))).toBe(0.25);
  });
});
