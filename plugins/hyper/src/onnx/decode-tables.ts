/**
 * What one hyper-encoded tensor stores besides its decode program, and which table it gets
 * (spec §9.2): the exact table (option A, every decoded pair, bit-exact) or the compact one
 * (option B, codebook + shell scales + centre combined in float32), or none (kept float32).
 *
 * Per tensor: the packed indices + GUARD_BYTES zero bytes, the header int64 [bits, nz, numel,
 * ...shape], and the table: exact 8·(n+1)(K+1) bytes; compact 8·(n+1) + 4·(K+1) + 8. With K = 0
 * the exact table is the codebook itself, so both options store the same bytes.
 */
import type { HyperEncodedTensor } from '../codec/index.js';
import { codebookF32, shellScales } from '../codec/index.js';
import type { DecodeTablePolicy } from '../options.js';

/** The table a tensor's decode looks its indices up in: spec §9.2 option A (exact) or B (compact). */
export type DecodeTable = 'exact' | 'compact';

/** Zero bytes after the packed indices, so the 3-byte window at the last index stays in range. */
export const GUARD_BYTES = 2;

/** Bytes of the float32 tables for codebook size n and K shells. */
export function tableBytes(table: DecodeTable, n: number, K: number): number {
  if (table === 'exact' || K === 0) return 8 * (n + 1) * (K + 1); // K = 0: LUT = T
  return 8 * (n + 1) + 4 * (K + 1) + 8; // T [n+1, 2], S [K+1, 1], c [2]
}

/** Bytes of the int64 header [bits, nz, numel, ...shape]. */
export const headerBytes = (rank: number) => 8 * (3 + rank);

/** Per-tensor stored bytes besides the packed indices (what the --target-bpw planner must count). */
export function sideBytes(n: number, K: number, rank: number, table: DecodeTable): number {
  return tableBytes(table, n, K) + headerBytes(rank) + GUARD_BYTES;
}

/** Total stored bytes of one encoded tensor as decode-graph.ts writes it. */
export function storedBytes(enc: HyperEncodedTensor, rank: number, table: DecodeTable): number {
  return enc.bytes.length + sideBytes(enc.n, enc.K, rank, table);
}

/**
 * Which table a tensor gets under --decode-table, or null when it is cheaper kept float32 (4N bytes).
 * auto: exact (bit-exact) whenever it is smaller than float32, however much bigger than compact it
 * is (its extra bytes still save against float32, and exactness is worth them); else compact when
 * that is smaller than float32 (a few ulps off, spec §9.2: "option B where the table would cost
 * more than it saves"); else float32. K = 0 is always exact: LUT = T, no extra bytes.
 */
export function chooseDecodeTable(
  enc: HyperEncodedTensor,
  rank: number,
  policy: DecodeTablePolicy,
): DecodeTable | null {
  const fits = (t: DecodeTable) => storedBytes(enc, rank, t) < 4 * enc.numel;
  if (enc.K === 0 || policy === 'exact') return fits('exact') ? 'exact' : null;
  if (policy === 'compact') return fits('compact') ? 'compact' : null;
  if (fits('exact')) return 'exact';
  return fits('compact') ? 'compact' : null;
}

/** Option B's float32 initializers: T (codebook), S (1/factor_s, shape [K+1, 1]) and c, each cast once from float64. */
export function compactTables(enc: HyperEncodedTensor): { T: Float32Array; S: Float32Array; c: Float32Array } {
  return {
    T: codebookF32(enc.n, enc.l, enc.cx, enc.cy),
    S: Float32Array.from(shellScales(enc)),
    c: Float32Array.from([enc.cx, enc.cy]),
  };
}

/** The int64 header values of a tensor: what its decode reads for index width, front padding, size and shape. */
export function headerValues(
  enc: Pick<HyperEncodedTensor, 'bits' | 'nz' | 'numel'>,
  dims: readonly number[],
): number[] {
  return [enc.bits, enc.nz, enc.numel, ...dims];
}
