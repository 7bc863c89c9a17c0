/**
 * The two ONNX layouts of int4 blocks (spec quantization.md §3), and back. Pure byte shuffling:
 * the numbers come from math.ts.
 *
 * - com.microsoft.MatMulNBits, for a MatMul weight W [K, N] (layout outer 1, dim K, inner N):
 *   B uint8 [N, k_blocks, block_size / 2], two codes per byte, the LOWER nibble holding the EVEN
 *   index along K; scales [N * k_blocks]; zero points absent (= 8, symmetric) or packed uint8
 *   [N * ceil(k_blocks / 2)], low nibble first, each row starting on a fresh byte.
 * - ONNX DequantizeLinear-21 with block_size: codes int4 (symmetric, q) or uint4 (asymmetric) in
 *   the weight's own layout; scales and zero points shaped like the weight with the blocked axis
 *   cut to k_blocks, i.e. C order [outer, k_blocks, inner].
 */
import { FLOAT_BITS, type FloatType } from '../grid/float-types.js';
import { dequantValue, SYM_ZERO_POINT, type BlockLayout, type Int4Blocks, type Int4Nibbles } from './math.js';

export interface NBitsTensors {
  /** [N, kBlocks, blockSize / 2] flattened */
  readonly B: Uint8Array;
  /** [N * kBlocks] */
  readonly scales: Float32Array;
  /** [N * ceil(kBlocks / 2)]; absent for symmetric codes */
  readonly zeroPoints?: Uint8Array;
  readonly K: number;
  readonly N: number;
  readonly kBlocks: number;
  readonly blockSize: number;
}

/** Two 4-bit values per byte, the even index in the low nibble. */
function packNibbles(values: Uint8Array, from: number, count: number, out: Uint8Array, at: number): void {
  for (let t = 0; t < count; t += 2) {
    const hi = t + 1 < count ? values[from + t + 1] : 0;
    out[at + (t >> 1)] = (values[from + t] & 0x0f) | ((hi & 0x0f) << 4);
  }
}

/** packNibbles over a whole array of codes, four at a time where the length allows (same bytes). */
export function packCodes(codes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(codes.length / 2));
  if (codes.length % 4 !== 0 || codes.byteOffset % 4 !== 0) {
    packNibbles(codes, 0, codes.length, out, 0);
    return out;
  }
  // Little-endian words: codes 4j..4j+3 are bytes 0..3 of word j and become bytes 2j, 2j+1.
  const words = new Uint32Array(codes.buffer, codes.byteOffset, codes.length / 4);
  const pairs = new Uint16Array(out.buffer, 0, words.length);
  for (let j = 0; j < words.length; j++) {
    const v = words[j];
    pairs[j] = (v & 0x0f) | ((v >>> 4) & 0xf0) | ((v >>> 8) & 0x0f00) | ((v >>> 12) & 0xf000);
  }
  return out;
}

function unpackNibbles(packed: Uint8Array, at: number, count: number, out: Uint8Array, from: number): void {
  for (let t = 0; t < count; t++) out[from + t] = (packed[at + (t >> 1)] >> ((t & 1) * 4)) & 0x0f;
}

/** The first `count` 4-bit values of `packed` (the even index in the low nibble). */
export function unpackCodes(packed: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  unpackNibbles(packed, 0, count, out, 0);
  return out;
}

/** MatMulNBits' B, scales and zero points for the blocks of a MatMul weight [K, N]. */
export function packMatMulNBits(q: Int4Blocks): NBitsTensors {
  return nbitsOf(q, packCodes(q.codes)); // rows are padded to whole blocks of even size
}

/** The same from codes the kernel already packed (wasm/rtn.ts `quantizeInt4WasmNibbles`). */
export function nbitsFromNibbles(q: Int4Nibbles): NBitsTensors {
  return nbitsOf(q, q.nibbles);
}

function nbitsOf(q: Omit<Int4Blocks, 'codes'>, B: Uint8Array): NBitsTensors {
  if (q.layout.outer !== 1) throw new RangeError('MatMulNBits packs a 2-D weight [K, N] (layout outer 1)');
  const { dim: K, inner: N } = q.layout;
  let zeroPoints: Uint8Array | undefined;
  if (q.scheme === 'asym') {
    const perRow = Math.ceil(q.kBlocks / 2);
    zeroPoints = new Uint8Array(N * perRow);
    for (let n = 0; n < N; n++) packNibbles(q.zeroPoints, n * q.kBlocks, q.kBlocks, zeroPoints, n * perRow);
  }
  return { B, scales: q.scales, zeroPoints, K, N, kBlocks: q.kBlocks, blockSize: q.blockSize };
}

/** The blocks back from MatMulNBits' tensors (attributes K, N, block_size). */
export function unpackMatMulNBits(
  t: { B: Uint8Array; scales: Float32Array; zeroPoints?: Uint8Array; K: number; N: number; blockSize: number },
  scaleType: FloatType,
): Int4Blocks {
  const { K, N, blockSize } = t;
  const kBlocks = Math.ceil(K / blockSize);
  const padded = kBlocks * blockSize;
  if (t.B.length !== (N * padded) / 2 || t.scales.length !== N * kBlocks) {
    throw new RangeError(
      `MatMulNBits K=${K} N=${N} block_size=${blockSize}: B has ${t.B.length} bytes, scales ${t.scales.length} values`,
    );
  }
  const codes = new Uint8Array(N * padded);
  unpackNibbles(t.B, 0, codes.length, codes, 0);
  const zeroPoints = new Uint8Array(N * kBlocks).fill(SYM_ZERO_POINT);
  if (t.zeroPoints) {
    const perRow = Math.ceil(kBlocks / 2);
    if (t.zeroPoints.length !== N * perRow)
      throw new RangeError(`MatMulNBits zero points: ${t.zeroPoints.length} bytes, expected ${N * perRow}`);
    for (let n = 0; n < N; n++) unpackNibbles(t.zeroPoints, n * perRow, kBlocks, zeroPoints, n * kBlocks);
  }
  const scheme = t.zeroPoints ? 'asym' : 'sym';
  const layout = { outer: 1, dim: K, inner: N };
  return { scheme, blockSize, layout, scaleType, rows: N, kBlocks, codes, scales: t.scales, zeroPoints, clipped: 0 };
}

export interface BlockedDQTensors {
  /** One value per weight element, weight layout: int4 q (-8..7) for sym, uint4 for asym. */
  readonly codes: Int8Array | Uint8Array;
  /** [outer, kBlocks, inner] */
  readonly scales: Float32Array;
  /** [outer, kBlocks, inner] uint4; absent for symmetric codes (DequantizeLinear's zero default) */
  readonly zeroPoints?: Uint8Array | Int8Array;
}

/** Index of block b of row (o, i) in [outer, kBlocks, inner] order. */
const blockIndex = (l: BlockLayout, kBlocks: number, o: number, b: number, i: number) =>
  (o * kBlocks + b) * l.inner + i;

/** DequantizeLinear-21's tensors for the blocks. */
export function toBlockedDQ(q: Int4Blocks): BlockedDQTensors {
  const l = q.layout;
  const sym = q.scheme === 'sym';
  const padded = q.kBlocks * q.blockSize;
  const codes = sym ? new Int8Array(l.outer * l.dim * l.inner) : new Uint8Array(l.outer * l.dim * l.inner);
  const scales = new Float32Array(q.scales.length);
  const zeroPoints = new Uint8Array(q.scales.length);
  for (let o = 0; o < l.outer; o++) {
    for (let i = 0; i < l.inner; i++) {
      const r = o * l.inner + i;
      for (let d = 0; d < l.dim; d++)
        codes[(o * l.dim + d) * l.inner + i] = q.codes[r * padded + d] - (sym ? SYM_ZERO_POINT : 0);
      for (let b = 0; b < q.kBlocks; b++) {
        scales[blockIndex(l, q.kBlocks, o, b, i)] = q.scales[r * q.kBlocks + b];
        zeroPoints[blockIndex(l, q.kBlocks, o, b, i)] = q.zeroPoints[r * q.kBlocks + b];
      }
    }
  }
  return { codes, scales, zeroPoints: sym ? undefined : zeroPoints };
}

/** What DequantizeLinear-21 (block_size along the layout's dim) computes from its tensors. */
export function dequantizeBlockedDQ(
  t: BlockedDQTensors,
  layout: BlockLayout,
  blockSize: number,
  outType: FloatType,
): Float32Array {
  const { outer, dim, inner } = layout;
  const kBlocks = Math.ceil(dim / blockSize);
  if (t.codes.length !== outer * dim * inner || t.scales.length !== outer * kBlocks * inner) {
    throw new RangeError(
      `blocked DequantizeLinear: ${t.codes.length} codes and ${t.scales.length} scales do not fit ${outer}x${dim}x${inner}, block ${blockSize}`,
    );
  }
  const out = new Float32Array(t.codes.length);
  for (let o = 0; o < outer; o++) {
    for (let d = 0; d < dim; d++) {
      const b = Math.floor(d / blockSize);
      for (let i = 0; i < inner; i++) {
        const g = blockIndex(layout, kBlocks, o, b, i);
        const at = (o * dim + d) * inner + i;
        out[at] = dequantValue(t.codes[at], t.zeroPoints ? t.zeroPoints[g] : 0, t.scales[g], outType);
      }
    }
  }
  return out;
}

/** Stored bits of MatMulNBits' tensors (spec §4: codes, scales, zero points). */
export function nbitsBits(t: NBitsTensors, scaleType: FloatType): number {
  return 8 * t.B.length + FLOAT_BITS[scaleType] * t.scales.length + 8 * (t.zeroPoints?.length ?? 0);
}
