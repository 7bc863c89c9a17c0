/**
 * GPTQ's codes in com.microsoft.MatMulNBits (spec quantization.md §3, with `bits`). onnxruntime-node
 * 1.30's CPU kernel takes bits 2, 4 and 8 (support.test.ts asserts which). Layout for b bits:
 * B uint8 [N, k_blocks, block_size * b / 8], codes along K packed from the lowest bits up (the lower
 * K index in the lower bits); zero points absent (= 2^(b-1)) or uint8 [N * ceil(k_blocks * b / 8)],
 * packed the same way, each row starting on a fresh byte.
 *
 * 3-bit codes have no kernel: they are stored in the 4-bit form (a 3-bit grid in 4-bit nibbles,
 * 4.25 bits per weight at group 128 with float32 scales, counted as stored). 4-bit packing is
 * int4's own (pack.ts packMatMulNBits); 2 and 8 bits use packBits below, tested equal to int4's
 * at 4 bits.
 */
import { FLOAT_BITS } from '../grid/float-types.js';
import type { Int4Blocks } from '../int4/math.js';
import { packMatMulNBits, type NBitsTensors } from '../int4/pack.js';
import type { GroupedCodes } from './math.js';

/** The `bits` attribute onnxruntime's CPU MatMulNBits accepts. */
export const ORT_CPU_NBITS: readonly number[] = Object.freeze([2, 4, 8]);

export type StoredBits = 2 | 4 | 8;

/** The bit width the codes are stored in: their own, or the next one onnxruntime runs (3 -> 4). */
export const storedBitsFor = (bits: number): StoredBits => (bits === 3 ? 4 : (bits as StoredBits));

export interface PackedNBits extends NBitsTensors {
  readonly bits: StoredBits;
}

/** Codes re-expressed at a wider width: symmetric codes keep q and move to the new implicit zero point 2^(b-1). */
export function widen(c: GroupedCodes, to: StoredBits): GroupedCodes {
  if (to === c.bits) return c;
  if (c.scheme === 'asym') return { ...c, bits: to }; // codes and zero points are unchanged numbers
  const shift = 2 ** (to - 1) - 2 ** (c.bits - 1);
  return { ...c, bits: to, codes: c.codes.map((v) => v + shift), zeroPoints: c.zeroPoints.map((v) => v + shift) };
}

/** `values[from .. from+count)` of `bits` bits each into bytes at out[at..], lowest bits first. */
export function packBits(
  values: Uint8Array,
  from: number,
  count: number,
  bits: number,
  out: Uint8Array,
  at: number,
): void {
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  for (let t = 0; t < count; t++)
    out[at + Math.floor(t / perByte)] |= (values[from + t] & mask) << ((t % perByte) * bits);
}

export function unpackBits(
  packed: Uint8Array,
  at: number,
  count: number,
  bits: number,
  out: Uint8Array,
  from: number,
): void {
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  for (let t = 0; t < count; t++)
    out[from + t] = (packed[at + Math.floor(t / perByte)] >> ((t % perByte) * bits)) & mask;
}

/** MatMulNBits' B, scales and zero points for codes stored at 2, 4 or 8 bits. */
export function packGptq(codes: GroupedCodes): PackedNBits {
  const bits = storedBitsFor(codes.bits);
  const c = widen(codes, bits);
  const { K, N, kBlocks, groupSize } = c;
  if (bits === 4) return { ...packMatMulNBits(asInt4Blocks(c)), bits };
  const padded = kBlocks * groupSize;
  const B = new Uint8Array((N * padded * bits) / 8);
  packBits(c.codes, 0, N * padded, bits, B, 0);
  let zeroPoints: Uint8Array | undefined;
  if (c.scheme === 'asym') {
    const perRow = Math.ceil((kBlocks * bits) / 8);
    zeroPoints = new Uint8Array(N * perRow);
    for (let n = 0; n < N; n++) packBits(c.zeroPoints, n * kBlocks, kBlocks, bits, zeroPoints, n * perRow);
  }
  return { B, scales: c.scales, zeroPoints, K, N, kBlocks, blockSize: groupSize, bits };
}

/** The codes back from MatMulNBits' tensors (the inverse of packGptq, at the stored width). */
export function unpackGptq(t: Omit<PackedNBits, 'kBlocks'>, scaleType: GroupedCodes['scaleType']): GroupedCodes {
  const { K, N, blockSize, bits } = t;
  const kBlocks = Math.ceil(K / blockSize);
  const padded = kBlocks * blockSize;
  if (t.B.length !== (N * padded * bits) / 8 || t.scales.length !== N * kBlocks) {
    throw new RangeError(
      `MatMulNBits bits=${bits} K=${K} N=${N} block_size=${blockSize}: B has ${t.B.length} bytes, scales ${t.scales.length} values`,
    );
  }
  const codes = new Uint8Array(N * padded);
  unpackBits(t.B, 0, codes.length, bits, codes, 0);
  const zeroPoints = new Uint8Array(N * kBlocks).fill(2 ** (bits - 1));
  if (t.zeroPoints) {
    const perRow = Math.ceil((kBlocks * bits) / 8);
    if (t.zeroPoints.length !== N * perRow)
      throw new RangeError(`MatMulNBits zero points: ${t.zeroPoints.length} bytes, expected ${N * perRow}`);
    for (let n = 0; n < N; n++) unpackBits(t.zeroPoints, n * perRow, kBlocks, bits, zeroPoints, n * kBlocks);
  }
  return {
    bits,
    scheme: t.zeroPoints ? 'asym' : 'sym',
    groupSize: blockSize,
    K,
    N,
    kBlocks,
    scaleType,
    codes,
    scales: t.scales,
    zeroPoints,
  };
}

function asInt4Blocks(c: GroupedCodes): Int4Blocks {
  return {
    scheme: c.scheme,
    blockSize: c.groupSize,
    layout: { outer: 1, dim: c.K, inner: c.N },
    scaleType: c.scaleType,
    rows: c.N,
    kBlocks: c.kBlocks,
    codes: c.codes,
    scales: c.scales,
    zeroPoints: c.zeroPoints,
    clipped: 0,
  };
}

/** Stored bits (spec §4): codes, scales and zero points as written. */
export function storedBitsOf(p: PackedNBits, scaleType: GroupedCodes['scaleType']): number {
  return 8 * p.B.length + FLOAT_BITS[scaleType] * p.scales.length + 8 * (p.zeroPoints?.length ?? 0);
}
