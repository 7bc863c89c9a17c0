/**
 * GPTQ on a weight stored as int4 blocks along its input dimension (Conv, Gemm): the weight in
 * int4's BlockLayout [outer, dim = K, inner] has outputs r = o·inner + i and K inputs each, in
 * im2col order for a Conv ([Cout, Cin/group, k...] flattened). Outputs are split into `H.length`
 * equal groups (a Conv's groups: output channels [g·Cout/group, (g+1)·Cout/group) read the inputs
 * of group g), each solved by gptqQuantize on its own Hessian, and the codes come back as one
 * Int4Blocks (rows in output order), ready for int4's writer. Pure: no graph, no onnxruntime.
 */
import type { Int4Blocks, BlockLayout } from '../int4/math.js';
import { relativeError, type OutputErrorSums } from '@mc-kit/core';
import { gptqQuantize, type GptqOptions } from './math.js';
import { matmulOutputError } from './output-error.js';
import { widen } from './pack.js';

export interface SolvedBlocks {
  /** 4-bit codes (a 3-bit grid widened), int4's row layout */
  readonly blocks: Int4Blocks;
  readonly deadColumns: number;
  /** the largest damping any group needed */
  readonly dampUsed: number;
  /** ||XW' - XW|| / ||XW|| over all groups */
  readonly outputError: number;
}

/** Group g's weight as GPTQ's [K, N] (N = its outputs). */
function groupWeight(w: ArrayLike<number>, l: BlockLayout, from: number, count: number): Float32Array {
  const K = l.dim;
  const out = new Float32Array(K * count);
  for (let n = 0; n < count; n++) {
    const r = from + n;
    const o = Math.floor(r / l.inner);
    const i = r % l.inner;
    for (let k = 0; k < K; k++) out[k * count + n] = w[(o * K + k) * l.inner + i];
  }
  return out;
}

export function solveBlocks(
  w: ArrayLike<number>,
  layout: BlockLayout,
  H: readonly Float64Array[],
  opts: GptqOptions,
): SolvedBlocks {
  const K = layout.dim;
  const rows = layout.outer * layout.inner;
  const groups = H.length;
  if (rows % groups !== 0) throw new RangeError(`solveBlocks: ${rows} outputs do not split into ${groups} groups`);
  const per = rows / groups;
  const kBlocks = Math.ceil(K / opts.groupSize);
  const padded = kBlocks * opts.groupSize;
  const codes = new Uint8Array(rows * padded);
  const scales = new Float32Array(rows * kBlocks);
  const zeroPoints = new Uint8Array(rows * kBlocks);
  const errors: OutputErrorSums[] = [];
  let deadColumns = 0;
  let dampUsed = opts.damp;
  for (let g = 0; g < groups; g++) {
    const wg = groupWeight(w, layout, g * per, per);
    const r = gptqQuantize(wg, K, per, H[g], opts);
    const c = widen(r, 4);
    codes.set(c.codes, g * per * padded);
    scales.set(c.scales, g * per * kBlocks);
    zeroPoints.set(c.zeroPoints, g * per * kBlocks);
    errors.push(matmulOutputError(wg, r.dequantized, K, per, H[g]));
    deadColumns += r.deadColumns;
    dampUsed = Math.max(dampUsed, r.dampUsed);
  }
  const blocks: Int4Blocks = {
    scheme: opts.scheme,
    blockSize: opts.groupSize,
    layout,
    scaleType: opts.scaleType ?? 'float32',
    rows,
    kBlocks,
    codes,
    scales,
    zeroPoints,
    clipped: 0,
  };
  return { blocks, deadColumns, dampUsed, outputError: relativeError(errors) };
}
