/**
 * The float types a scale (and a dequantized weight) can be stored in. Scales of float16/bfloat16
 * weights are stored in the weight's own type (spec quantization.md §1), so the codes must be
 * computed against the rounded scale, not the exact one.
 *
 * The bit conversions are @mc-kit/core's one float16/bfloat16 codec, which rounds a double once to
 * nearest, ties to even (scales are computed in double, so a detour through float32 would round twice).
 */
import { bfloat16ToFloat32, DataType, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from '@mc-kit/core';

export type FloatType = 'float32' | 'float16' | 'bfloat16';

/** Bits one value of the type occupies on disk. */
export const FLOAT_BITS: Readonly<Record<FloatType, number>> = Object.freeze({
  float32: 32,
  float16: 16,
  bfloat16: 16,
});

/** The ONNX element type a scale of each float type is written as. */
export const SCALE_DATA_TYPE: Readonly<Record<FloatType, DataType>> = Object.freeze({
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  bfloat16: DataType.BFLOAT16,
});

/** SCALE_DATA_TYPE read backwards: the float type of a scale initializer found in a model. */
export const SCALE_TYPES: ReadonlyMap<DataType, FloatType> = new Map([
  [DataType.FLOAT, 'float32'],
  [DataType.FLOAT16, 'float16'],
  [DataType.BFLOAT16, 'bfloat16'],
]);

/** The nearest value of `type` to x (as a JS number; every such value is exact in float32 too). */
export function roundToType(x: number, type: FloatType): number {
  switch (type) {
    case 'float32':
      return Math.fround(x);
    case 'float16':
      return float16ToFloat32(float32ToFloat16(x));
    case 'bfloat16':
      return bfloat16ToFloat32(float32ToBfloat16(x));
  }
}

/** Smallest positive value of the type (a scale that rounded to 0 is bumped to this). */
export function minPositive(type: FloatType): number {
  return type === 'float32' ? 2 ** -149 : type === 'float16' ? 2 ** -24 : 2 ** -133;
}

/** Values of the type as stored on disk: float32 as is, float16/bfloat16 as their 16-bit patterns. */
export function encodeFloats(values: Float32Array, type: FloatType): Float32Array | Uint16Array {
  if (type === 'float32') return values;
  const out = new Uint16Array(values.length);
  const enc = type === 'float16' ? float32ToFloat16 : float32ToBfloat16;
  for (let i = 0; i < values.length; i++) out[i] = enc(values[i]);
  return out;
}
