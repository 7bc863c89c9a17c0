/**
 * Hand-computed vectors for the int8 reference math. Scales that are powers of two make the
 * divisions exact, so the ties below are true ties (k + 0.5 times the scale) and show the rounding
 * rule: Math.round would give the value in the comment.
 */
import {
  axisLayout,
  dequantize,
  dequantizeTensor,
  firstNonFinite,
  quantize,
  quantizeAsymmetric,
  quantizeAsymmetricPerTensor,
  quantizeSymmetric,
  quantizeSymmetricPerTensor,
  roundHalfToEven,
} from './math.js';
import { roundToType, type FloatType } from '../grid/float-types.js';
import { seededWeights } from './testkit.fixture.js';

const arr = (a: ArrayLike<number>) => Array.from(a);

describe('roundHalfToEven', () => {
  it('sends ties to the even neighbour and everything else to the nearest', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -63.5, 31.5].map(roundHalfToEven)).toEqual([
      0, 2, 2, 4, 0, -2, -2, -64, 32,
    ]);
    expect([0.49999, 0.50001, -0.50001, 31.75, -63.4, 7].map(roundHalfToEven)).toEqual([0, 1, -1, 32, -63, 7]);
    expect(Object.is(roundHalfToEven(-0.4), -0)).toBe(false);
  });
});

describe('symmetric per tensor', () => {
  it('follows the spec example w = [-1, -0.5, 0, 0.25, 1]', () => {
    const q = quantizeSymmetricPerTensor([-1, -0.5, 0, 0.25, 1]);
    expect(q.scales[0]).toBe(Math.fround(1 / 127));
    // -0.5 / fround(1/127) = -63.50000024 and 0.25 / scale = 31.75000012: not exact ties here.
    expect(arr(q.codes)).toEqual([-127, -64, 0, 32, 127]);
    expect(arr(q.zeroPoints)).toEqual([0]);
    expect(q.codes).toBeInstanceOf(Int8Array);
  });

  it('rounds exact ties to even (scale 0.5)', () => {
    // max|w| = 63.5, so scale = 63.5 / 127 = 0.5 exactly and w / scale is exact.
    const w = [63.5, 0.25, 0.75, 1.25, -0.75, -1.25, -0.25, -63.5];
    const q = quantizeSymmetricPerTensor(w);
    expect(q.scales[0]).toBe(0.5);
    // Math.round would give              127, 1, 2, 3, -1, -2,  0, -127
    expect(arr(q.codes)).toEqual([127, 0, 2, 2, -2, -2, 0, -127]);
    expect(arr(dequantizeTensor(q, [8]))).toEqual([63.5, 0, 1, 1, -1, -1, 0, -63.5]);
  });

  it('uses scale 1 and codes 0 for an all-zero tensor', () => {
    const q = quantizeSymmetricPerTensor([0, 0, 0]);
    expect(arr(q.scales)).toEqual([1]);
    expect(arr(q.codes)).toEqual([0, 0, 0]);
  });
});

describe('asymmetric per tensor', () => {
  it('computes scale, zero point and codes for w = [-1, 0, 3]', () => {
    const q = quantizeAsymmetricPerTensor([-1, 0, 3]);
    const s = Math.fround(4 / 255);
    expect(q.scales[0]).toBe(s);
    // zp = round(1 / s) = round(63.75) = 64; codes = round(w / s) + 64 = [-64, 0, 191] + 64
    expect(arr(q.zeroPoints)).toEqual([64]);
    expect(arr(q.codes)).toEqual([0, 64, 255]);
    expect(q.codes).toBeInstanceOf(Uint8Array);
    expect(arr(dequantizeTensor(q, [3]))).toEqual([Math.fround(-64 * s), 0, Math.fround(191 * s)]);
  });

  it('rounds tied zero points and codes to even (scale 0.25)', () => {
    // range [-0.625, 63.125]: scale = 63.75 / 255 = 0.25; zp = round(2.5) = 2 (Math.round: 3)
    const w = [-0.625, 63.125, 0.125, 0.375, 0.625];
    const q = quantizeAsymmetricPerTensor(w);
    expect(q.scales[0]).toBe(0.25);
    expect(arr(q.zeroPoints)).toEqual([2]);
    // w / s = [-2.5, 252.5, 0.5, 1.5, 2.5] -> [-2, 252, 0, 2, 2] (+2)
    expect(arr(q.codes)).toEqual([0, 254, 2, 4, 4]);
    expect(arr(dequantizeTensor(q, [5]))).toEqual([-0.5, 63, 0, 0.5, 0.5]);
  });

  it('widens an all-positive range to include 0 (zero point 0)', () => {
    const q = quantizeAsymmetricPerTensor([1, 2, 3]);
    expect(q.scales[0]).toBe(Math.fround(3 / 255));
    expect(arr(q.zeroPoints)).toEqual([0]);
    expect(arr(q.codes)).toEqual([85, 170, 255]);
  });

  it('widens an all-negative range to include 0 (zero point 255)', () => {
    const q = quantizeAsymmetricPerTensor([-63.75, -0.25]);
    expect(q.scales[0]).toBe(0.25);
    expect(arr(q.zeroPoints)).toEqual([255]);
    expect(arr(q.codes)).toEqual([0, 254]);
  });
});

describe('per channel', () => {
  // Row maxima 63.5 and 127, column maxima 63.5, 31.75, 127: every scale is a power of two.
  const w = [63.5, -31.75, 0.5, 1.5, 0.75, -127];
  const shape = [2, 3];

  it('along axis 0 (rows)', () => {
    const q = quantizeSymmetric(w, shape, 0);
    expect(arr(q.scales)).toEqual([0.5, 1]);
    // row 0 / 0.5 = [127, -63.5, 1]; row 1 / 1 = [1.5, 0.75, -127]
    expect(arr(q.codes)).toEqual([127, -64, 1, 2, 1, -127]);
    expect(arr(dequantizeTensor(q, shape))).toEqual([63.5, -32, 0.5, 2, 1, -127]);
  });

  it('along axis 1 (columns)', () => {
    const q = quantizeSymmetric(w, shape, 1);
    expect(arr(q.scales)).toEqual([0.5, 0.25, 1]);
    // column 0 / 0.5 = [127, 3]; column 1 / 0.25 = [-127, 3]; column 2 / 1 = [0.5, -127]
    expect(arr(q.codes)).toEqual([127, -127, 0, 3, 3, -127]);
    expect(arr(q.zeroPoints)).toEqual([0, 0, 0]);
  });

  it('along a middle axis of a 3-D tensor', () => {
    // shape [2, 2, 2], axis 1: channel 0 = indices 0,1,4,5; channel 1 = indices 2,3,6,7
    const v = [127, 2, 4, 8, -1, -0.5, 0, -63.5];
    expect(axisLayout([2, 2, 2], 1)).toEqual({ outer: 2, channels: 2, inner: 2 });
    const q = quantizeSymmetric(v, [2, 2, 2], 1);
    expect(arr(q.scales)).toEqual([1, 0.5]);
    expect(arr(q.codes)).toEqual([127, 2, 8, 16, -1, 0, 0, -127]);
  });

  it('gives an all-zero channel scale 1 and codes 0 (sym and asym)', () => {
    const z = [0, 0, 0, -63.5, 0.25, 0];
    const s = quantizeSymmetric(z, shape, 0);
    expect(arr(s.scales)).toEqual([1, 0.5]);
    expect(arr(s.codes)).toEqual([0, 0, 0, -127, 0, 0]);
    const a = quantizeAsymmetric(z, shape, 0);
    expect(a.scales[0]).toBe(1);
    expect(a.zeroPoints[0]).toBe(0);
    expect(arr(a.codes.subarray(0, 3))).toEqual([0, 0, 0]);
    // row 1: range [-63.5, 0.25], scale 63.75/255 = 0.25, zp = round(254) = 254
    expect(a.scales[1]).toBe(0.25);
    expect(a.zeroPoints[1]).toBe(254);
    expect(arr(a.codes.subarray(3))).toEqual([0, 255, 254]);
  });

  it('asymmetric along axis 1', () => {
    const q = quantizeAsymmetric([-0.625, 0, 63.125, 127.5], [2, 2], 1);
    // column 0: [-0.625, 63.125] -> scale 0.25, zp 2; column 1: [0, 127.5] -> scale 0.5, zp 0
    expect(arr(q.scales)).toEqual([0.25, 0.5]);
    expect(arr(q.zeroPoints)).toEqual([2, 0]);
    expect(arr(q.codes)).toEqual([0, 0, 254, 255]);
  });

  it('rejects a bad axis or a weight that does not fill the shape', () => {
    expect(() => quantizeSymmetric(w, shape, 2)).toThrow(/axis 2/);
    expect(() => quantize([1, 2, 3], [2, 2], { scheme: 'sym' })).toThrow(/3 values/);
  });
});

describe('dequantize', () => {
  it('is (q - zp) * scale rounded once to float32', () => {
    const s = Math.fround(0.1);
    const out = dequantize(new Uint8Array([0, 10, 255]), [3], [s], [10], undefined);
    expect(arr(out)).toEqual([Math.fround(-10 * s), 0, Math.fround(245 * s)]);
  });

  it('casts the float32 product to float16 for float16 scales', () => {
    // scale 2^-3 (1 + 2^-10) is a float16; 3 * scale = 0.375 + 1.5 float16 ulps: a tie, to even.
    const s = 0.125 * (1 + 2 ** -10);
    const out = dequantize(new Int8Array([3, 1]), [2], [s], [0], undefined, 'float16');
    expect(arr(out)).toEqual([0.375 + 2 * 2 ** -12, s]);
  });

  it('stores float16 scales rounded, and computes codes against the rounded scale', () => {
    const q = quantize([0.1, -1], [2], { scheme: 'sym', scaleType: 'float16' });
    expect(q.scales[0]).toBe(roundToType(1 / 127, 'float16'));
    expect(q.scales[0]).not.toBe(Math.fround(1 / 127));
    expect(arr(q.codes)).toEqual([roundHalfToEven(0.1 / q.scales[0]), -127]);
  });
});

/**
 * The conformance table (STYLE.md §3): every format x odd shapes, on seeded data (the exact ties
 * are in the hand vectors above).
 * Properties that must hold for any input: codes in range, every non-clamped weight within half a
 * step of its dequantized value, 0 exact, and the scale as stored.
 */
describe('conformance over formats and odd shapes', () => {
  const formats: [string, { scheme: 'sym' | 'asym'; scaleType: FloatType }][] = [
    ['sym float32', { scheme: 'sym', scaleType: 'float32' }],
    ['asym float32', { scheme: 'asym', scaleType: 'float32' }],
    ['sym float16', { scheme: 'sym', scaleType: 'float16' }],
    ['asym float16', { scheme: 'asym', scaleType: 'float16' }],
    ['sym bfloat16', { scheme: 'sym', scaleType: 'bfloat16' }],
  ];
  const shapes: [number[], number | undefined][] = [
    [[7], undefined],
    [[3, 5], 0],
    [[3, 5], 1],
    [[5, 3, 7], 1],
    [[1, 9], 1],
    [[4, 1, 3, 3], 0],
  ];

  it.each(formats)('%s', (_, f) => {
    shapes.forEach(([shape, axis], k) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const w = seededWeights(n, 100 + k, 3);
      w[0] = 0;
      const q = quantize(w, shape, { ...f, axis });
      const d = dequantizeTensor(q, shape);
      const l = axisLayout(shape, axis);
      const [lo, hi] = f.scheme === 'sym' ? [-128, 127] : [0, 255];
      expect(d[0]).toBe(0);
      expect(Array.from(q.scales).every((v) => v === roundToType(v, f.scaleType))).toBe(true);
      const bad: number[] = [];
      for (let i = 0; i < n; i++) {
        const c = Math.floor(i / l.inner) % l.channels;
        // half a step, plus the output type's own rounding of the product
        const near = Math.abs(d[i] - w[i]) <= q.scales[c] / 2 + Math.abs(w[i]) * 2 ** -7;
        if (q.codes[i] < lo || q.codes[i] > hi || !near) bad.push(i);
      }
      expect({ shape, axis, bad }).toEqual({ shape, axis, bad: [] });
    });
  });
});

describe('firstNonFinite', () => {
  it('finds NaN and infinities', () => {
    expect(firstNonFinite([1, 2, 3])).toBe(-1);
    expect(firstNonFinite([1, NaN, 3])).toBe(1);
    expect(firstNonFinite(new Float32Array([0, 0, -Infinity]))).toBe(2);
  });
});
