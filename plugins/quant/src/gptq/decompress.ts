/**
 * The inverse of gptq's rewrite for `mc decompress`: every MatMulNBits over `<W>_q2`, `<W>_q4` or
 * `<W>_q8` (bits 2, 4, 8) goes back to MatMul(A, W) with W [K, N] holding exactly what onnxruntime
 * computes from the codes ((q - zp) * scale, float32, then the scales' type); Conv and Gemm weights,
 * which gptq stores in int4's forms, go back through int4's own inverse. Nodes gptq did not write
 * are left alone.
 */
import { ErrorCodes, throwIfAborted, type OnnxModel, type RunContext } from '@mc-kit/core';
import type { FloatType } from '../grid/float-types.js';
import { findNBitsGroups, restoreNBitsGroup } from '../nbits-groups.js';
import { dequantValue } from '../int4/math.js';
import { dequantizeInt4Weights } from '../int4/decompress.js';
import type { GroupedCodes } from './math.js';
import { unpackGptq, type StoredBits } from './pack.js';

/** W [K, N] from the codes, as onnxruntime dequantizes them. */
export function dequantizeGrouped(c: GroupedCodes, outType: FloatType): Float32Array {
  const { K, N, kBlocks, groupSize } = c;
  const padded = kBlocks * groupSize;
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const g = n * kBlocks + Math.floor(k / groupSize);
      out[k * N + n] = dequantValue(c.codes[n * padded + k], c.zeroPoints[g], c.scales[g], outType);
    }
  }
  return out;
}

export async function dequantizeGptqWeights(model: OnnxModel, ctx: RunContext): Promise<string[]> {
  const restored: string[] = [];
  for (const g of findNBitsGroups(model, [2, 4, 8])) {
    throwIfAborted(ctx.signal);
    const codes = unpackGptq(
      {
        B: g.B.readTyped() as Uint8Array,
        scales: g.scales.readFloat32(),
        zeroPoints: g.zp?.readTyped() as Uint8Array | undefined,
        K: g.K,
        N: g.N,
        blockSize: g.blockSize,
        bits: g.bits as StoredBits,
      },
      g.scaleType,
    );
    restored.push(restoreNBitsGroup(model, g, dequantizeGrouped(codes, g.scaleType)));
  }
  // Conv/Gemm weights (blocked DequantizeLinear or nibbles); none is not an error here
  const blocks = await dequantizeInt4Weights(model, ctx).catch((e: { code?: string }) => {
    if (e?.code === ErrorCodes.NOT_COMPRESSED) return [] as string[];
    throw e;
  });
  return [...restored, ...blocks];
}
