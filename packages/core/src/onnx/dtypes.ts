/**
 * ONNX element types: their numbers, sizes, natural JS arrays, and the bit-level conversions that
 * compressed formats need (float16/bfloat16 <-> float32, int4/uint4 packing).
 *
 * onnx-proto's enum predates INT4/UINT4, so the numbers are listed here; data_type is a plain int32
 * on the wire.
 */
import { BugError, ErrorCodes, UserError } from '../errors.js';

/** ONNX TensorProto.DataType numbers (onnx.proto). */
export enum DataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
}

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export type TypedArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

export interface DataTypeInfo {
  readonly name: string;
  /** Bits one element takes in raw_data (4 for int4/uint4: two per byte). */
  readonly bits: number;
  /** The array readTyped() returns: one element per value (int4/uint4 unpacked, f16/bf16/f8 as bits). Absent: no natural array (complex). */
  readonly array?: TypedArrayConstructor;
  /** Values are real numbers (counted by parameterCount). */
  readonly isFloat: boolean;
}

/** The one table of element types. STRING and UNDEFINED have no fixed size and are absent. */
export const DATA_TYPES: Readonly<Partial<Record<DataType, DataTypeInfo>>> = Object.freeze({
  [DataType.FLOAT]: { name: 'float32', bits: 32, array: Float32Array, isFloat: true },
  [DataType.UINT8]: { name: 'uint8', bits: 8, array: Uint8Array, isFloat: false },
  [DataType.INT8]: { name: 'int8', bits: 8, array: Int8Array, isFloat: false },
  [DataType.UINT16]: { name: 'uint16', bits: 16, array: Uint16Array, isFloat: false },
  [DataType.INT16]: { name: 'int16', bits: 16, array: Int16Array, isFloat: false },
  [DataType.INT32]: { name: 'int32', bits: 32, array: Int32Array, isFloat: false },
  [DataType.INT64]: { name: 'int64', bits: 64, array: BigInt64Array, isFloat: false },
  [DataType.BOOL]: { name: 'bool', bits: 8, array: Uint8Array, isFloat: false },
  [DataType.FLOAT16]: { name: 'float16', bits: 16, array: Uint16Array, isFloat: true },
  [DataType.DOUBLE]: { name: 'float64', bits: 64, array: Float64Array, isFloat: true },
  [DataType.UINT32]: { name: 'uint32', bits: 32, array: Uint32Array, isFloat: false },
  [DataType.UINT64]: { name: 'uint64', bits: 64, array: BigUint64Array, isFloat: false },
  [DataType.COMPLEX64]: { name: 'complex64', bits: 64, isFloat: false },
  [DataType.COMPLEX128]: { name: 'complex128', bits: 128, isFloat: false },
  [DataType.BFLOAT16]: { name: 'bfloat16', bits: 16, array: Uint16Array, isFloat: true },
  [DataType.FLOAT8E4M3FN]: { name: 'float8e4m3fn', bits: 8, array: Uint8Array, isFloat: false },
  [DataType.FLOAT8E4M3FNUZ]: { name: 'float8e4m3fnuz', bits: 8, array: Uint8Array, isFloat: false },
  [DataType.FLOAT8E5M2]: { name: 'float8e5m2', bits: 8, array: Uint8Array, isFloat: false },
  [DataType.FLOAT8E5M2FNUZ]: { name: 'float8e5m2fnuz', bits: 8, array: Uint8Array, isFloat: false },
  [DataType.UINT4]: { name: 'uint4', bits: 4, array: Uint8Array, isFloat: false },
  [DataType.INT4]: { name: 'int4', bits: 4, array: Int8Array, isFloat: false },
});

/** Table entry for a data type; a model using one mc cannot hold as numbers (string, unknown) is the user's input, hence UserError. */
export function dataTypeInfo(dataType: number): DataTypeInfo {
  const info = DATA_TYPES[dataType as DataType];
  if (!info) {
    throw new UserError(ErrorCodes.UNSUPPORTED, `tensor data type ${DataType[dataType] ?? dataType} is not supported`, {
      hint: 'mc handles numeric tensors (float32/16, bfloat16, float64, int4..int64, uint4..uint64, bool)',
    });
  }
  return info;
}

export function dataTypeName(dataType: number): string {
  return DATA_TYPES[dataType as DataType]?.name ?? DataType[dataType] ?? `type ${dataType}`;
}

/** Element count of a shape ([] is a scalar: 1). */
export function elementCountOf(dims: readonly number[]): number {
  return dims.reduce((a, d) => a * d, 1);
}

/** Bytes that `count` elements take in raw_data (int4/uint4 round up to whole bytes). */
export function byteSizeOf(dataType: number, count: number): number {
  return Math.ceil((count * dataTypeInfo(dataType).bits) / 8);
}

// ------------------------------------------------------------------ float16 / bfloat16

// One shared scratch word to read float32 bits without allocating per value.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half (bits) -> number. Exact: every half is a float32. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * The float32 bits of `value` rounded to ODD: truncated toward zero, with the last bit set when
 * that dropped anything. A second rounding from these bits to a format at least 2 bits narrower
 * (half: 13 fewer, bfloat16: 16 fewer) is then the correct single rounding of the double, which a
 * plain float32 round-to-nearest followed by a second one is not (a double just above a half-way
 * point can land on it, then tie to even the wrong way).
 */
function float32BitsRoundedToOdd(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const r = f32[0];
  if (r === value || value !== value || x & 1) return x; // exact, NaN, or already odd (the nearest is the truncation's odd neighbour)
  return Math.abs(r) > Math.abs(value) ? x - 1 : x + 1; // the odd neighbour on value's side of r
}

/**
 * number (a double, not only a float32) -> IEEE half bits, rounded once to nearest, ties to even;
 * overflow gives Inf, NaN stays a quiet NaN with its sign.
 */
export function float32ToFloat16(value: number): number {
  const x = float32BitsRoundedToOdd(value);
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Half subnormal: the value in units of 2^-24 is (1.mant) shifted right by 126 - exp.
    const shift = 126 - exp;
    if (shift > 24) return sign; // below half of the smallest subnormal: rounds to zero
    const m = mant | 0x800000;
    return sign | roundShift(m, shift);
  }
  // Normal: drop 13 mantissa bits; a carry out of the mantissa bumps the exponent, up to Inf.
  return sign | roundShift((e << 23) | mant, 13);
}

/** v >> shift, rounded to nearest, ties to even. */
function roundShift(v: number, shift: number): number {
  const q = v >>> shift;
  const rem = v & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rem > half || (rem === half && q & 1) ? q + 1 : q;
}

/** bfloat16 bits -> number (the top 16 bits of a float32). */
export function bfloat16ToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** number (a double, not only a float32) -> bfloat16 bits, rounded once to nearest even; NaN stays a quiet NaN. */
export function float32ToBfloat16(value: number): number {
  const x = float32BitsRoundedToOdd(value);
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

// A 64k-entry table makes bulk float16 decoding one lookup per value (256 KiB, built on first use).
let f16Table: Float32Array | undefined;

export function float16ArrayToFloat32(bits: Uint16Array): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = float16ToFloat32(i);
  }
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16Table[bits[i]];
  return out;
}

export function float32ArrayToFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16(values[i]);
  return out;
}

export function bfloat16ArrayToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

export function float32ArrayToBfloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToBfloat16(values[i]);
  return out;
}

// ------------------------------------------------------------------ int4 / uint4

/**
 * Pack 4-bit values two per byte as ONNX raw_data lays them out: element 2k in the low nibble of
 * byte k, element 2k+1 in the high nibble; an odd count leaves the last high nibble 0.
 * Values outside the range are a caller's bug, not something to wrap silently.
 */
export function packInt4(values: ArrayLike<number>, signed: boolean): Uint8Array {
  const [lo, hi] = signed ? [-8, 7] : [0, 15];
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= lo && v <= hi) || !Number.isInteger(v)) {
      throw new BugError(`${signed ? 'int4' : 'uint4'} value ${v} at index ${i} is outside ${lo}..${hi}`);
    }
    out[i >> 1] |= (v & 0x0f) << ((i & 1) * 4);
  }
  return out;
}

/** Unpack `count` 4-bit values (low nibble first); signed nibbles are sign-extended. */
export function unpackInt4(packed: Uint8Array, count: number, signed: boolean): Int8Array | Uint8Array {
  if (packed.length < Math.ceil(count / 2)) {
    throw new BugError(`unpackInt4: ${packed.length} bytes cannot hold ${count} values`);
  }
  const out = signed ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (packed[i >> 1] >> ((i & 1) * 4)) & 0x0f;
    out[i] = signed && nibble >= 8 ? nibble - 16 : nibble;
  }
  return out;
}
