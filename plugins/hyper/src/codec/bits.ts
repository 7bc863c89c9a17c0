/**
 * Fixed-width index packing exactly as the reference writes `<i>_<shape>_<bits>_<nz>.bin` (spec
 * §5.2): each index MSB-first in `bits` bits, concatenated, with nz = (8 − P·bits mod 8) mod 8
 * zero bits at the FRONT of the stream.
 */
import type { PackIndicesFn, UnpackIndicesFn } from './types.js';

/** Widest index the codec emits: (n+1)(M+1) <= 2^17 keeps the ONNX unpacker's 3-byte window valid. */
export const MAX_INDEX_BITS = 17;

/** Python's int.bit_length for a non-negative integer below 2^32. */
export function bitLength(v: number): number {
  return v === 0 ? 0 : 32 - Math.clz32(v);
}

/** The reference's `uint_i`: bit_length(max index), at least 1. */
export function indexBits(maxIndex: number): number {
  return Math.max(1, bitLength(maxIndex));
}

export const packIndices: PackIndicesFn = (idx, bits) => {
  checkBits(bits);
  const totalBits = idx.length * bits;
  const nz = (8 - (totalBits % 8)) % 8;
  const out = new Uint8Array((totalBits + nz) / 8);
  // acc holds < 8 pending bits plus one index (<= 17 bits): stays well inside int32.
  let acc = 0;
  let pending = nz;
  let o = 0;
  for (let p = 0; p < idx.length; p++) {
    acc = (acc << bits) | idx[p];
    pending += bits;
    while (pending >= 8) {
      pending -= 8;
      out[o++] = (acc >>> pending) & 0xff;
    }
    acc &= (1 << pending) - 1;
  }
  return { bytes: out, nz };
};

export const unpackIndices: UnpackIndicesFn = (bytes, bits, nz, P) => {
  checkBits(bits);
  if (nz + P * bits > bytes.length * 8)
    throw new RangeError(`${P} indices of ${bits} bits need more than ${bytes.length} bytes`);
  const B = new Uint8Array(bytes.length + 2); // 2 guard bytes for the 24-bit window
  B.set(bytes);
  const mask = (1 << bits) - 1;
  const idx = new Uint32Array(P);
  for (let p = 0; p < P; p++) {
    const o = nz + p * bits;
    const q = o >> 3;
    const v = (B[q] << 16) | (B[q + 1] << 8) | B[q + 2];
    idx[p] = (v >> (24 - (o & 7) - bits)) & mask;
  }
  return idx;
};

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > MAX_INDEX_BITS) {
    throw new RangeError(`index width must be 1..${MAX_INDEX_BITS} bits, got ${bits}`);
  }
}
