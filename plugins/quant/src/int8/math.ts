/**
 * int8 quantization math (spec quantization.md §2): pure functions over a flat C-order weight and
 * its shape. This scalar code is THE definition of the bytes the int8 compressor writes; rewrite.ts
 * only moves them into the graph.
 *
 * Codes are computed against the scale as stored (float32, or the weight's float16/bfloat16), so
 * that `dequantize` below, which mirrors onnxruntime's DequantizeLinear, gives back q * scale.
 */
import { roundToType, type FloatType } from '../grid/float-types.js';
import { clamp, gridParams, roundHalfToEven, type Scheme } from '../grid/params.js';

export { roundHalfToEven, type Scheme } from '../grid/params.js';

export interface QuantizeOptions {
  readonly scheme: Scheme;
  /** Axis with one scale per index (the output channel); undefined = one scale for the tensor. */
  readonly axis?: number;
  /** Type the scales are stored in (default float32). */
  readonly scaleType?: FloatType;
}

export interface QuantizedTensor {
  readonly scheme: Scheme;
  /** Same length and layout as the weight: int8 for sym, uint8 for asym. */
  readonly codes: Int8Array | Uint8Array;
  /** One per channel (length 1 per tensor), values exactly representable in `scaleType`. */
  readonly scales: Float32Array;
  /** One per channel: int8 zeros for sym (stored all the same), uint8 for asym. */
  readonly zeroPoints: Int8Array | Uint8Array;
  readonly axis?: number;
  readonly scaleType: FloatType;
}

/** How an axis cuts a C-order tensor: element i belongs to channel floor(i / inner) % channels. */
export interface AxisLayout {
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
}

export function axisLayout(shape: readonly number[], axis: number | undefined): AxisLayout {
  const size = shape.reduce((a, b) => a * b, 1);
  if (axis === undefined) return { outer: 1, channels: 1, inner: size };
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
    throw new RangeError(`axis ${axis} out of range for shape [${shape.join(', ')}]`);
  }
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { outer, channels: shape[axis], inner };
}

/** Index of the first NaN or ±Infinity, or -1. */
export function firstNonFinite(w: ArrayLike<number>): number {
  for (let i = 0; i < w.length; i++) if (!Number.isFinite(w[i])) return i;
  return -1;
}

/** Per-channel min and max over a layout (channels with no elements keep 0, 0). */
function channelRanges(w: ArrayLike<number>, l: AxisLayout): { min: Float64Array; max: Float64Array } {
  const min = new Float64Array(l.channels).fill(Infinity);
  const max = new Float64Array(l.channels).fill(-Infinity);
  let i = 0;
  for (let o = 0; o < l.outer; o++) {
    for (let c = 0; c < l.channels; c++) {
      for (let k = 0; k < l.inner; k++, i++) {
        const v = w[i];
        if (v < min[c]) min[c] = v;
        if (v > max[c]) max[c] = v;
      }
    }
  }
  for (let c = 0; c < l.channels; c++) {
    if (min[c] > max[c]) min[c] = max[c] = 0;
  }
  return { min, max };
}

/** Quantize a weight (flat, C order, `shape`) with one scale per `axis` index, or per tensor. */
export function quantize(w: ArrayLike<number>, shape: readonly number[], options: QuantizeOptions): QuantizedTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (w.length !== size)
    throw new RangeError(`weight has ${w.length} values, shape [${shape.join(', ')}] holds ${size}`);
  const scaleType = options.scaleType ?? 'float32';
  const l = axisLayout(shape, options.axis);
  const { min, max } = channelRanges(w, l);
  const scales = new Float32Array(l.channels);
  const sym = options.scheme === 'sym';
  const zeroPoints = sym ? new Int8Array(l.channels) : new Uint8Array(l.channels);
  for (let c = 0; c < l.channels; c++) {
    const p = gridParams(min[c], max[c], 8, options.scheme, scaleType);
    scales[c] = p.scale;
    if (!sym) zeroPoints[c] = p.zp; // symmetric codes are stored signed: their zero point is 0, not 128
  }
  const codes = sym ? new Int8Array(size) : new Uint8Array(size);
  const [qmin, qmax] = sym ? [-128, 127] : [0, 255];
  let i = 0;
  for (let o = 0; o < l.outer; o++) {
    for (let c = 0; c < l.channels; c++) {
      const s = scales[c];
      const zp = zeroPoints[c];
      for (let k = 0; k < l.inner; k++, i++) codes[i] = clamp(roundHalfToEven(w[i] / s) + zp, qmin, qmax);
    }
  }
  return { scheme: options.scheme, codes, scales, zeroPoints, axis: options.axis, scaleType };
}

export const quantizeSymmetric = (
  w: ArrayLike<number>,
  shape: readonly number[],
  axis: number,
  scaleType?: FloatType,
) => quantize(w, shape, { scheme: 'sym', axis, scaleType });
export const quantizeAsymmetric = (
  w: ArrayLike<number>,
  shape: readonly number[],
  axis: number,
  scaleType?: FloatType,
) => quantize(w, shape, { scheme: 'asym', axis, scaleType });
export const quantizeSymmetricPerTensor = (w: ArrayLike<number>, scaleType?: FloatType) =>
  quantize(w, [w.length], { scheme: 'sym', scaleType });
export const quantizeAsymmetricPerTensor = (w: ArrayLike<number>, scaleType?: FloatType) =>
  quantize(w, [w.length], { scheme: 'asym', scaleType });

/**
 * What onnxruntime's DequantizeLinear computes: `float(int32(q) - int32(zp)) * float(scale)` in
 * float32 (the product of two float32 values rounded once, which Math.fround of the double product
 * is), then cast to the output type when that is float16/bfloat16.
 */
export function dequantize(
  codes: Int8Array | Uint8Array,
  shape: readonly number[],
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  axis: number | undefined,
  outType: FloatType = 'float32',
): Float32Array {
  const l = axisLayout(shape, axis);
  if (scales.length !== l.channels || zeroPoints.length !== l.channels) {
    throw new RangeError(
      `expected ${l.channels} scales and zero points, got ${scales.length} and ${zeroPoints.length}`,
    );
  }
  const out = new Float32Array(codes.length);
  let i = 0;
  for (let o = 0; o < l.outer; o++) {
    for (let c = 0; c < l.channels; c++) {
      const s = Math.fround(scales[c]);
      const zp = zeroPoints[c];
      for (let k = 0; k < l.inner; k++, i++) {
        const v = Math.fround((codes[i] - zp) * s);
        out[i] = outType === 'float32' ? v : roundToType(v, outType);
      }
    }
  }
  return out;
}

/** Shorthand: the dense weight a QuantizedTensor stands for. */
export function dequantizeTensor(q: QuantizedTensor, shape: readonly number[]): Float32Array {
  return dequantize(q.codes, shape, q.scales, q.zeroPoints, q.axis, q.scaleType);
}
