/**
 * Hand-computed vectors for the int4 reference math (math.ts). Scales that are powers of two make
 * w / scale exact, so the ties below are true ties; the comments give what Math.round would do.
 * Codes are shown as stored: symmetric q + 8, asymmetric q.
 */
import { float16ToFloat32 as fromFloat16Bits, float32ToFloat16 as toFloat16Bits } from '@mc-kit/core';
import { blockParams, CLIP_FACTORS, code, dequantizeInt4, quantizeInt4Ref, SYM_ZERO_POINT } from './math.js';

const arr = (a: ArrayLike<number>) => Array.from(a);
const row = (
  w: number[],
  blockSize: number,
  scheme: 'sym' | 'asym',
  extra: { searchScale?: boolean; scaleType?: 'float32' | 'float16' } = {},
) => quantizeInt4Ref(w, { outer: 1, dim: w.length, inner: 1 }, { scheme, blockSize, ...extra });

describe('int4 symmetric', () => {
  it('rounds exact ties to even (max|w| = 3.5: scale 0.5)', () => {
    const w = [3.5, 0.25, 0.75, 1.25, -0.75, -1.25, -0.25, -3.5];
    const q = row(w, 8, 'sym');
    expect(arr(q.scales)).toEqual([0.5]);
    // w / 0.5 =             7, 0.5, 1.5, 2.5, -1.5, -2.5, -0.5, -7
    // q (ties to even):     7,   0,   2,   2,   -2,   -2,    0, -7   (Math.round: 7, 1, 2, 3, -1, -2, -0, -7)
    expect(arr(q.codes)).toEqual([15, 8, 10, 10, 6, 6, 8, 1]);
    expect(arr(q.zeroPoints)).toEqual([8]);
    expect(arr(dequantizeInt4(q))).toEqual([3.5, 0, 1, 1, -1, -1, 0, -3.5]);
  });

  it('the spec example w = [-1, -0.5, 0, 0.25, 1]: codes against the float32 scale as stored', () => {
    const q = row([-1, -0.5, 0, 0.25, 1], 16, 'sym');
    expect(q.scales[0]).toBe(Math.fround(1 / 7)); // 0.142857149..., a little above 1/7
    // -0.5 / fround(1/7) = -3.49999984 (not the tie -3.5 that the exact 1/7 would give, so -3, not -4);
    // 0.25 / fround(1/7) = 1.74999992 -> 2; +-1 / fround(1/7) = +-6.9999997 -> +-7. Padding (11 slots) holds 8.
    expect(arr(q.codes)).toEqual([1, 5, 8, 10, 15, ...Array(11).fill(8)]);
  });

  it('computes codes against a float16 scale when the weight is float16', () => {
    // 1/7 in float16 is 0.142822265625 (below 1/7): 0.5 / it = 3.50085 -> 4, where float32's scale gives 3.4999998 -> 3.
    const q16 = row([1, 0.5], 16, 'sym', { scaleType: 'float16' });
    expect(q16.scales[0]).toBe(fromFloat16Bits(toFloat16Bits(1 / 7)));
    expect(q16.scales[0]).toBe(0.142822265625);
    expect(arr(q16.codes.subarray(0, 2))).toEqual([15, 12]);
    expect(arr(row([1, 0.5], 16, 'sym').codes.subarray(0, 2))).toEqual([15, 11]);
  });

  it('uses scale 1 and code 8 for an all-zero block, and pads a short last block with 8', () => {
    // dim 20, block 16: block 0 all zero, block 1 = [0.7, -0.35, 0, 0.175] and 12 padding slots.
    const w = [...Array(16).fill(0), 0.7, -0.35, 0, 0.175];
    const q = row(w, 16, 'sym');
    expect(q.kBlocks).toBe(2);
    expect(q.scales[0]).toBe(1);
    expect(q.scales[1]).toBe(Math.fround(0.1)); // 0.7 / 7
    expect(arr(q.codes.subarray(0, 16))).toEqual(Array(16).fill(8));
    // 0.7 / fround(0.1) = 6.99999990 -> 7; -0.35 / it = -3.49999995 -> -3; 0.175 / it = 1.74999997 -> 2
    expect(arr(q.codes.subarray(16))).toEqual([15, 5, 8, 10, ...Array(12).fill(8)]);
  });
});

describe('int4 asymmetric', () => {
  it('rounds codes and zero points to even (range 3.75: scale 0.25)', () => {
    // block 0: min -1.25, max 2.5 -> scale 0.25, zp = 1.25 / 0.25 = 5
    //   w / s = -5, 10, 0.5, 1.5, -2.5, 4.5 -> q = 0, 15, 5 (0 + 5), 7 (2 + 5), 3 (-2 + 5), 9 (4 + 5)
    //   Math.round would give                0, 15, 6, 7, 3, 10
    // block 1: min -0.625, max 3.125 -> scale 0.25, zp = round(2.5) = 2 (Math.round: 3)
    //   w / s = -2.5, 12.5, 0.5, 0 -> q = -2 + 2 = 0, 12 + 2 = 14, 0 + 2 = 2, 2
    const w = [-1.25, 2.5, 0.125, 0.375, -0.625, 1.125, 0, 0, /* block 1 */ -0.625, 3.125, 0.125, 0, 0, 0, 0, 0];
    const q = row(w, 8, 'asym');
    expect(arr(q.scales)).toEqual([0.25, 0.25]);
    expect(arr(q.zeroPoints)).toEqual([5, 2]);
    expect(arr(q.codes)).toEqual([0, 15, 5, 7, 3, 9, 5, 5, /* block 1 */ 0, 14, 2, 2, 2, 2, 2, 2]);
    expect(arr(dequantizeInt4(q))).toEqual([-1.25, 2.5, 0, 0.5, -0.5, 1, 0, 0, -0.5, 3, 0, 0, 0, 0, 0, 0]);
  });

  it('widens the range to include 0 and gives an all-zero block scale 1, zero point 0', () => {
    // [0.5, 4.25]: min widened to 0, scale 4.25 / 15, zero point 0
    const q = row([0.5, 4.25, ...Array(14).fill(0), ...Array(16).fill(0)], 16, 'asym');
    expect(q.scales[0]).toBe(Math.fround(4.25 / 15));
    expect(q.zeroPoints[0]).toBe(0);
    expect(arr(q.codes.subarray(0, 2))).toEqual([2, 15]); // 0.5 / 0.28333 = 1.76 -> 2
    expect([q.scales[1], q.zeroPoints[1]]).toEqual([1, 0]);
  });
});

describe('clip search', () => {
  it('keeps the clip factor with the least squared error (w = [1, 0.4 x 7], symmetric)', () => {
    const w = [1, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4];
    // factor 1:    s = 1/7,     0.4 / s = 2.8 -> 3 (0.42857): error 7 * 0.02857^2           = 0.005714
    // factor 0.95: s = 0.95/7,  0.4 / s = 2.95 -> 3 (0.40714), 1 / s = 7.37 -> 7 (0.95):
    //              error 7 * 0.00714^2 + 0.05^2                                          = 0.002857 (least)
    // factor 0.9:  0.011429; 0.85: 0.031429; 0.8: 0.062857; 0.75: 0.068214
    const q = row(w, 8, 'sym', { searchScale: true });
    expect(q.scales[0]).toBe(Math.fround(0.95 / 7));
    expect(arr(q.codes)).toEqual([15, 11, 11, 11, 11, 11, 11, 11]);
    expect(q.clipped).toBe(1);
    expect(row(w, 8, 'sym').scales[0]).toBe(Math.fround(1 / 7));
    expect(row(w, 8, 'sym').clipped).toBe(0);
  });

  it('keeps factor 1 when clipping does not help, and can clamp to -8 when it does clip', () => {
    const q = row([1, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6], 8, 'asym', { searchScale: true });
    expect([q.scales[0], q.clipped]).toEqual([Math.fround(1 / 15), 0]); // exact grid: error 0 at factor 1
    expect(CLIP_FACTORS).toEqual([1, 0.95, 0.9, 0.85, 0.8, 0.75]);
    // At factor 0.75 the minimum -1 lands on -1 / (0.75 / 7) = -9.33: clamped to -8 (code 0).
    const p = blockParams(-1, 0.5, 'sym', 'float32', 0.75);
    expect(p.scale).toBe(Math.fround(0.75 / 7));
    expect(p.zp).toBe(SYM_ZERO_POINT);
    expect([code(-1, p.scale, p.zp), code(0.5, p.scale, p.zp)]).toEqual([0, 13]); // -9.33 -> -8 (clamped); 4.67 -> 5
  });
});

describe('layouts', () => {
  it('cuts a MatMul weight [K, N] along K: row n of the result is column n of W', () => {
    const K = 5;
    const N = 3;
    const w = Float32Array.from({ length: K * N }, (_, i) => ((i * 7) % 11) - 5);
    const byColumns = quantizeInt4Ref(w, { outer: 1, dim: K, inner: N }, { scheme: 'asym', blockSize: 4 });
    const t = Float32Array.from({ length: K * N }, (_, i) => w[(i % K) * N + Math.floor(i / K)]); // W^T [N, K]
    const byRows = quantizeInt4Ref(t, { outer: N, dim: K, inner: 1 }, { scheme: 'asym', blockSize: 4 });
    expect(byColumns.codes).toEqual(byRows.codes);
    expect(byColumns.scales).toEqual(byRows.scales);
    expect(byColumns.zeroPoints).toEqual(byRows.zeroPoints);
    expect(dequantizeInt4(byColumns)).toEqual(
      Float32Array.from(dequantizeInt4(byRows), (_, i) => dequantizeInt4(byRows)[(i % N) * K + Math.floor(i / N)]),
    );
  });

  it('refuses a bad layout or block size', () => {
    expect(() => quantizeInt4Ref([1, 2, 3], { outer: 1, dim: 4, inner: 1 }, { scheme: 'sym', blockSize: 4 })).toThrow(
      /3 values/,
    );
    expect(() => quantizeInt4Ref([1, 2, 3], { outer: 1, dim: 3, inner: 1 }, { scheme: 'sym', blockSize: 12 })).toThrow(
      /power of two/,
    );
  });
});
