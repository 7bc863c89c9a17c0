/**
 * int4 block-wise round-to-nearest (spec quantization.md §2): pure functions over a flat C-order
 * weight. The scalar `quantizeInt4Ref` below is THE definition of the codes and scales; fast.ts may
 * compute the same faster (tested equal), pack.ts only lays the result out for MatMulNBits or
 * DequantizeLinear-21.
 *
 * A weight is seen as [outer, dim, inner] and cut into blocks of `blockSize` along `dim` (the
 * reduction axis: K of a MatMul weight [K, N] is outer 1, dim K, inner N). Each (outer, inner) pair
 * is a ROW of `dim` values; the result holds rows one after the other, each zero-padded to
 * kBlocks * blockSize, which is MatMulNBits' [N, k_blocks, block_size] order.
 *
 * Codes are stored unsigned, 0..15: symmetric q in -8..7 as q + 8 (MatMulNBits' implicit zero point
 * 8), asymmetric q with its zero point. They are computed against the scale as stored (float32 or
 * the weight's float16/bfloat16), so `dequantizeInt4` gives back what onnxruntime computes.
 */
import { roundToType, type FloatType } from '../grid/float-types.js';
import { codeOf, gridParams, type Scheme } from '../grid/params.js';

export type { Scheme } from '../grid/params.js';

/** Symmetric codes are -8..7, stored as q + SYM_ZERO_POINT. */
export const SYM_ZERO_POINT = 8;
export const QMAX_SYM = 7;
export const LEVELS_ASYM = 15;

/** Clip factors tried per block by the scale search, largest first (ties keep the earlier one). */
export const CLIP_FACTORS: readonly number[] = Object.freeze([1, 0.95, 0.9, 0.85, 0.8, 0.75]);

/** How a C-order tensor is cut: element (o, d, i) sits at (o * dim + d) * inner + i. */
export interface BlockLayout {
  readonly outer: number;
  readonly dim: number;
  readonly inner: number;
}

export interface Int4Options {
  readonly scheme: Scheme;
  /** Values per block along `dim`: a power of two >= 2 (the plugin asks 16..256). */
  readonly blockSize: number;
  /** Type the scales are stored in (default float32). */
  readonly scaleType?: FloatType;
  /** Try CLIP_FACTORS per block and keep the least squared error. */
  readonly searchScale?: boolean;
}

export interface Int4Blocks {
  readonly scheme: Scheme;
  readonly blockSize: number;
  readonly layout: BlockLayout;
  readonly scaleType: FloatType;
  /** rows = outer * inner; row r = o * inner + i */
  readonly rows: number;
  readonly kBlocks: number;
  /** [rows, kBlocks * blockSize], 0..15; padding holds the zero point (it stands for 0). */
  readonly codes: Uint8Array;
  /** [rows, kBlocks], values exact in scaleType */
  readonly scales: Float32Array;
  /** [rows, kBlocks], 0..15 (symmetric: all 8) */
  readonly zeroPoints: Uint8Array;
  /** Blocks whose chosen clip factor is below 1 (0 without the search). */
  readonly clipped: number;
}

/** Int4Blocks with the codes packed two to a byte, the even K index in the low nibble (MatMulNBits' B). */
export type Int4Nibbles = Omit<Int4Blocks, 'codes'> & { readonly nibbles: Uint8Array };

export const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

export function checkLayout(length: number, layout: BlockLayout, blockSize: number): void {
  const { outer, dim, inner } = layout;
  if (![outer, dim, inner].every((x) => Number.isInteger(x) && x >= 1))
    throw new RangeError(`bad layout ${JSON.stringify(layout)}`);
  if (length !== outer * dim * inner)
    throw new RangeError(`weight has ${length} values, layout ${outer}x${dim}x${inner} holds ${outer * dim * inner}`);
  if (!isPowerOfTwo(blockSize) || blockSize < 2)
    throw new RangeError(`block size ${blockSize} is not a power of two >= 2`);
}

/** Scale and zero point of one block for a clip factor, from its min, max (and so max|w|): the 4-bit grid. */
export const blockParams = (lo: number, hi: number, scheme: Scheme, scaleType: FloatType, clip = 1) =>
  gridParams(lo, hi, 4, scheme, scaleType, clip);

/** The stored code of w (0..15). Symmetric: clamp(round(w/s), -8, 7) + 8, the same thing. */
export const code = (w: number, scale: number, zp: number): number => codeOf(w, scale, zp, 4);

/** What onnxruntime computes from a code: (q - zp) * scale in float32, then the output type. */
export function dequantValue(q: number, zp: number, scale: number, outType: FloatType): number {
  const v = Math.fround((q - zp) * Math.fround(scale));
  return outType === 'float32' ? v : roundToType(v, outType);
}

/** One block (values[0..n)): the params with the least squared error over the clip factors. */
function chooseBlock(
  values: Float64Array,
  n: number,
  scheme: Scheme,
  scaleType: FloatType,
  factors: readonly number[],
) {
  let lo = values[0];
  let hi = values[0];
  for (let t = 1; t < n; t++) {
    if (values[t] < lo) lo = values[t];
    if (values[t] > hi) hi = values[t];
  }
  let best = { ...blockParams(lo, hi, scheme, scaleType, factors[0]), clip: factors[0] };
  if (factors.length === 1) return best;
  let bestErr = Infinity;
  for (const clip of factors) {
    const p = blockParams(lo, hi, scheme, scaleType, clip);
    let err = 0;
    for (let t = 0; t < n; t++) {
      const d = values[t] - dequantValue(code(values[t], p.scale, p.zp), p.zp, p.scale, 'float32');
      err += d * d;
    }
    if (err < bestErr) {
      bestErr = err;
      best = { ...p, clip };
    }
  }
  return best;
}

/** The reference: block-wise RTN of `w` (layout [outer, dim, inner], blocks along dim). */
export function quantizeInt4Ref(w: ArrayLike<number>, layout: BlockLayout, options: Int4Options): Int4Blocks {
  const { blockSize, scheme } = options;
  checkLayout(w.length, layout, blockSize);
  const scaleType = options.scaleType ?? 'float32';
  const factors = options.searchScale ? CLIP_FACTORS : CLIP_FACTORS.slice(0, 1);
  const { outer, dim, inner } = layout;
  const rows = outer * inner;
  const kBlocks = Math.ceil(dim / blockSize);
  const padded = kBlocks * blockSize;
  const codes = new Uint8Array(rows * padded);
  const scales = new Float32Array(rows * kBlocks);
  const zeroPoints = new Uint8Array(rows * kBlocks);
  const values = new Float64Array(blockSize);
  let clipped = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const r = o * inner + i;
      for (let b = 0; b < kBlocks; b++) {
        const d0 = b * blockSize;
        const n = Math.min(blockSize, dim - d0);
        for (let t = 0; t < n; t++) values[t] = w[(o * dim + d0 + t) * inner + i];
        const p = chooseBlock(values, n, scheme, scaleType, factors);
        if (p.clip < 1) clipped++;
        scales[r * kBlocks + b] = p.scale;
        zeroPoints[r * kBlocks + b] = p.zp;
        const at = r * padded + d0;
        for (let t = 0; t < blockSize; t++) codes[at + t] = t < n ? code(values[t], p.scale, p.zp) : p.zp;
      }
    }
  }
  return { scheme, blockSize, layout, scaleType, rows, kBlocks, codes, scales, zeroPoints, clipped };
}

/** The dense weight (original layout) the blocks stand for, as onnxruntime dequantizes it. */
export function dequantizeInt4(q: Int4Blocks, outType: FloatType = q.scaleType): Float32Array {
  const { outer, dim, inner } = q.layout;
  const padded = q.kBlocks * q.blockSize;
  const out = new Float32Array(outer * dim * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const r = o * inner + i;
      for (let d = 0; d < dim; d++) {
        const g = r * q.kBlocks + Math.floor(d / q.blockSize);
        out[(o * dim + d) * inner + i] = dequantValue(q.codes[r * padded + d], q.zeroPoints[g], q.scales[g], outType);
      }
    }
  }
  return out;
}
