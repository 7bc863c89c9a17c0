import {
  bfloat16ArrayToFloat32,
  bfloat16ToFloat32,
  byteSizeOf,
  DATA_TYPES,
  DataType,
  dataTypeInfo,
  float16ArrayToFloat32,
  float16ToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32ToBfloat16,
  float32ToFloat16,
  packInt4,
  unpackInt4,
} from './dtypes.js';

const withHex = ([value, bits]: number[]): [number, string, number] => [
  value,
  `0x${bits.toString(16).padStart(4, '0')}`,
  bits,
];

// Vectors worked out from the IEEE 754 binary16 / bfloat16 layouts (sign | exponent | mantissa).
describe('float16', () => {
  it.each(
    [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest half
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [0, 0x0000],
      [-0, 0x8000],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ].map(withHex),
  )('%p <-> %s', (value, _hex, bits) => {
    expect(float32ToFloat16(value)).toBe(bits);
    expect(Object.is(float16ToFloat32(bits), value)).toBe(true);
  });

  it('rounds to nearest, ties to even', () => {
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00); // tie between 0x3c00 (even) and 0x3c01
    expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02 (even)
    expect(float32ToFloat16(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(float32ToFloat16(65519)).toBe(0x7bff); // below the tie with 65536
    expect(float32ToFloat16(65520)).toBe(0x7c00); // tie: even is 2^16, which overflows to Inf
    expect(float32ToFloat16(1e6)).toBe(0x7c00);
    expect(float32ToFloat16(2 ** -25)).toBe(0x0000); // tie between 0 (even) and the smallest subnormal
    expect(float32ToFloat16(3 * 2 ** -26)).toBe(0x0001); // 0.75 of the smallest subnormal
    expect(float32ToFloat16(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 subnormal units: even is 2
    expect(float32ToFloat16(2 ** -30)).toBe(0x0000);
    expect(float32ToFloat16(-(2 ** -30))).toBe(0x8000);
  });

  it('keeps NaN a NaN', () => {
    const bits = float32ToFloat16(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x03ff).not.toBe(0);
    expect(float16ToFloat32(0x7e00)).toBeNaN();
    expect(float16ToFloat32(0xfc01)).toBeNaN();
  });

  it('round-trips every non-NaN bit pattern, and the bulk helpers agree with the scalar ones', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const values = float16ArrayToFloat32(all);
    const back = float32ArrayToFloat16(values);
    const wrong: number[] = [];
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      const ok = isNaN ? Number.isNaN(values[i]) : back[i] === i && Object.is(values[i], float16ToFloat32(i));
      if (!ok) wrong.push(i);
    }
    expect(wrong).toEqual([]);
  });
});

describe('bfloat16', () => {
  it.each(
    [
      [1, 0x3f80],
      [-0.5, 0xbf00],
      [3, 0x4040],
      [Infinity, 0x7f80],
      [-Infinity, 0xff80],
      [0, 0x0000],
      [-0, 0x8000],
    ].map(withHex),
  )('%p <-> %s', (value, _hex, bits) => {
    expect(float32ToBfloat16(value)).toBe(bits);
    expect(Object.is(bfloat16ToFloat32(bits), value)).toBe(true);
  });

  it('rounds to nearest, ties to even', () => {
    expect(float32ToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // float32 0x3f808000: tie, 0x3f80 is even
    expect(float32ToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82); // 0x3f818000: tie, 0x3f82 is even
    expect(float32ToBfloat16(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81); // just above the tie
    expect(float32ToBfloat16(3.4028234663852886e38)).toBe(0x7f80); // float32 max rounds up to Inf
  });

  it('keeps NaN a quiet NaN (sign kept)', () => {
    expect(float32ToBfloat16(NaN) & 0x7fc0).toBe(0x7fc0);
    expect(bfloat16ToFloat32(0x7fc0)).toBeNaN();
  });

  it('round-trips every non-NaN bit pattern through the bulk helpers', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = float32ArrayToBfloat16(bfloat16ArrayToFloat32(all));
    const wrong = [...all].filter((i) => !((i & 0x7f80) === 0x7f80 && (i & 0x7f) !== 0) && back[i] !== i);
    expect(wrong).toEqual([]);
  });
});

describe('int4 / uint4 packing (first element in the low nibble)', () => {
  it('packs signed values, odd count padding the last high nibble with 0', () => {
    // 1 -> 0x1, -1 -> 0xF, 7 -> 0x7, -8 -> 0x8, -3 -> 0xD
    expect([...packInt4([1, -1, 7, -8, -3], true)]).toEqual([0xf1, 0x87, 0x0d]);
    expect([...unpackInt4(Uint8Array.of(0xf1, 0x87, 0x0d), 5, true)]).toEqual([1, -1, 7, -8, -3]);
    expect(unpackInt4(Uint8Array.of(0xf1), 2, true)).toBeInstanceOf(Int8Array);
  });

  it('packs unsigned values', () => {
    expect([...packInt4([15, 0, 3], false)]).toEqual([0x0f, 0x03]);
    expect([...packInt4([2, 1], false)]).toEqual([0x12]);
    expect([...unpackInt4(Uint8Array.of(0x0f, 0x03), 3, false)]).toEqual([15, 0, 3]);
    expect([...unpackInt4(Uint8Array.of(0xa5), 2, false)]).toEqual([5, 10]);
    expect(packInt4([], false)).toHaveLength(0);
  });

  it('refuses values outside the range instead of wrapping them', () => {
    expect(() => packInt4([8], true)).toThrow(/int4 value 8/);
    expect(() => packInt4([-9], true)).toThrow(/outside -8..7/);
    expect(() => packInt4([16], false)).toThrow(/uint4/);
    expect(() => packInt4([-1], false)).toThrow(/uint4/);
    expect(() => packInt4([1.5], false)).toThrow(/uint4/);
    expect(() => unpackInt4(Uint8Array.of(1), 3, false)).toThrow(/cannot hold/);
  });
});

describe('the data type table', () => {
  it('gives byte sizes, rounding 4-bit types up to whole bytes', () => {
    expect(byteSizeOf(DataType.FLOAT, 3)).toBe(12);
    expect(byteSizeOf(DataType.FLOAT16, 3)).toBe(6);
    expect(byteSizeOf(DataType.BFLOAT16, 1)).toBe(2);
    expect(byteSizeOf(DataType.INT64, 2)).toBe(16);
    expect(byteSizeOf(DataType.INT4, 5)).toBe(3);
    expect(byteSizeOf(DataType.UINT4, 4)).toBe(2);
    expect(byteSizeOf(DataType.BOOL, 3)).toBe(3);
  });

  it('maps types to their natural arrays', () => {
    expect(DATA_TYPES[DataType.FLOAT]?.array).toBe(Float32Array);
    expect(DATA_TYPES[DataType.FLOAT16]?.array).toBe(Uint16Array);
    expect(DATA_TYPES[DataType.BFLOAT16]?.array).toBe(Uint16Array);
    expect(DATA_TYPES[DataType.INT4]?.array).toBe(Int8Array);
    expect(DATA_TYPES[DataType.UINT4]?.array).toBe(Uint8Array);
    expect(DATA_TYPES[DataType.INT64]?.array).toBe(BigInt64Array);
  });

  it('refuses string tensors with a user error naming the type', () => {
    expect(() => dataTypeInfo(DataType.STRING)).toThrow(
      expect.objectContaining({ code: 'E_UNSUPPORTED', message: expect.stringContaining('STRING') }),
    );
  });
});

/**
 * The one float16/bfloat16 codec, against a reference that shares none of its code: the nearest of
 * the format's values found by binary search over the sorted non-negative codes (code max+1, the
 * infinity, standing for the next power of two so that overflow ties to even like IEEE says), ties
 * to the even code. Inputs: every code's value, every half-way point between neighbours, and points
 * a hair (2^-40 relative) either side of each half-way point, which float32 rounding would move
 * ONTO the half-way point (a codec that rounds twice, double -> float32 -> half, fails there).
 */
describe.each([
  ['float16', float32ToFloat16, float16ToFloat32, 0x7c00, 2 ** 16],
  ['bfloat16', float32ToBfloat16, bfloat16ToFloat32, 0x7f80, 2 ** 128],
] as const)('%s encoding against a nearest-value reference', (_name, encode, decode, infCode, infValue) => {
  const grid = Float64Array.from({ length: infCode + 1 }, (_, c) => (c === infCode ? infValue : decode(c)));
  const reference = (x: number): number => {
    const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
    const a = Math.abs(x);
    if (a >= infValue) return sign | infCode;
    let lo = 0; // grid[lo] <= a < grid[lo + 1]
    let hi: number = infCode;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (grid[mid] <= a) lo = mid;
      else hi = mid;
    }
    const below = a - grid[lo];
    const above = grid[hi] - a;
    return sign | (below < above || (below === above && lo % 2 === 0) ? lo : hi);
  };

  it('rounds every code value, half-way point and near-half-way double like the reference', () => {
    const wrong: string[] = [];
    const check = (x: number) => {
      const want = reference(x);
      if (encode(x) !== want) wrong.push(`${x}: got 0x${encode(x).toString(16)}, want 0x${want.toString(16)}`);
    };
    for (let c = 0; c < infCode; c++) {
      const mid = (grid[c] + grid[c + 1]) / 2; // exact in a double
      const hair = Math.max(mid * 2 ** -40, Number.MIN_VALUE);
      for (const x of [grid[c], mid, mid + hair, mid - hair]) {
        check(x);
        check(-x);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it('decodes every code exactly and encodes it back (NaNs stay NaN)', () => {
    const wrong: number[] = [];
    for (let c = 0; c < 65536; c++) {
      const v = decode(c);
      const nan = (c & 0x7fff) > infCode;
      if (nan ? !Number.isNaN(v) || !Number.isNaN(decode(encode(v))) : encode(v) !== c) wrong.push(c);
    }
    expect(wrong).toEqual([]);
  });

  it('handles the edge doubles', () => {
    const edges = [0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -149, 2 ** -150, 3 * 2 ** -151, 1e-300];
    const big = [3.4028234663852886e38, 3.4028235677973366e38, Number.MAX_VALUE, Infinity, 1e300];
    for (const x of [...edges, ...big]) {
      expect([x, encode(x)]).toEqual([x, reference(x)]);
      expect([-x, encode(-x)]).toEqual([-x, reference(-x)]);
    }
    expect(Number.isNaN(decode(encode(NaN)))).toBe(true);
  });
});
