/**
 * Which ONNX encoding each selected weight gets (spec quantization.md §3). Only reads the graph.
 *
 * - MatMulNBits: a 2-D weight [K, N] whose every reader is a MatMul (input 1) of the main graph.
 * - DequantizeLinear-21 with block_size (int4/uint4 codes): any other weight (Gemm, Conv, Gather,
 *   a MatMul weight of rank 3, one read inside a subgraph). Needs the default-domain opset at 21;
 *   raised only when every op in the graph means the same there (int8's opset.ts).
 * - int8 per channel: where neither int4 form runs on onnxruntime-node's CPU provider for the
 *   weight's float type, or the opset cannot be raised to 21. Never silent: the plan says why, and
 *   the report repeats it.
 */
import type { Consumer, NodeProto, OnnxModel } from '@mc-kit/core';
import type { FloatType } from '../int8/float-types.js';
import { opsBlockingUpgrade } from '../int8/opset.js';
import type { WeightCandidate as Candidate } from '@mc-kit/core';
import type { BlockLayout } from './math.js';

export type Encoding = 'MatMulNBits' | 'DequantizeLinear-21' | 'int8';

/**
 * The float types onnxruntime-node 1.30's CPU provider has a kernel for, per int4 encoding
 * (support.test.ts opens a real session for every cell, and for bfloat16, which has neither).
 */
export const ORT_CPU_INT4: Readonly<Record<Exclude<Encoding, 'int8'>, readonly FloatType[]>> = Object.freeze({
  MatMulNBits: Object.freeze(['float32', 'float16'] as FloatType[]),
  'DequantizeLinear-21': Object.freeze(['float32', 'float16'] as FloatType[]),
});

/** DequantizeLinear with block_size and int4/uint4 arrived in opset 21. */
export const BLOCKED_DQ_OPSET = 21;
/** int8's DequantizeLinear: per-axis scales need opset 13; float16/bfloat16 scales 19. */
export const int8Opset = (t: FloatType): number => (t === 'float32' ? 13 : 19);

export interface Plan {
  readonly c: Candidate;
  readonly encoding: Encoding;
  /** The top-level MatMul nodes to turn into MatMulNBits. */
  readonly matmuls: readonly NodeProto[];
  /** int4: how the weight (reshaped to `storedDims`) is cut into blocks; `blockAxis` of storedDims. */
  readonly storedDims: readonly number[];
  readonly blockAxis: number;
  readonly layout: BlockLayout;
  /** Why int8 instead of int4. */
  readonly fallback?: string;
}

export interface Skip {
  readonly c: Candidate;
  readonly reason: string;
}

const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);

/**
 * Blocks run along the reduction axis: K of a MatMul weight [..., K, N] or of a Gemm weight (either
 * orientation), the embedding dimension of a Gather table [V, D]. A Conv weight [M, C, k...] reduces
 * over C·k..., so it is stored as [M, C·k...] and a Reshape gives back its shape. Where the reduction
 * axis is not the one before the output axis (LSTM/GRU/RNN W and R [dirs, gates·hidden, input]:
 * outputs on 1, sums over 2), the candidate's reductionAxis says so.
 */
export function blockedForm(dims: readonly number[], outputAxis: number, reductionAxis = outputAxis - 1): { storedDims: number[]; blockAxis: number; layout: BlockLayout } {
  const storedDims = dims.length > 2 && outputAxis === 0 ? [dims[0], prod(dims.slice(1))] : [...dims];
  const blockAxis = outputAxis === 0 ? 1 : reductionAxis;
  const layout = { outer: prod(storedDims.slice(0, blockAxis)), dim: storedDims[blockAxis], inner: prod(storedDims.slice(blockAxis + 1)) };
  return { storedDims, blockAxis, layout };
}

/** Top-level readers of every tensor, in one pass. */
function topLevelReaders(nodes: readonly NodeProto[]): Map<string, Consumer[]> {
  const readers = new Map<string, Consumer[]>();
  for (const node of nodes) {
    (node.input ?? []).forEach((name, inputIndex) => {
      const list = readers.get(name);
      if (list) list.push({ node, inputIndex });
      else readers.set(name, [{ node, inputIndex }]);
    });
  }
  return readers;
}

/** Every input name read inside a subgraph (If/Loop/Scan bodies), which a node swap cannot reach. */
function subgraphReads(nodes: readonly NodeProto[], into = new Set<string>(), inside = false): Set<string> {
  for (const node of nodes) {
    if (inside) for (const i of node.input ?? []) into.add(i);
    for (const a of node.attribute ?? []) {
      if (a.g) subgraphReads(a.g.node ?? [], into, true);
      for (const g of a.graphs ?? []) subgraphReads(g.node ?? [], into, true);
    }
  }
  return into;
}

const isMatMulWeight = (c: Consumer) => c.node.opType === 'MatMul' && (c.node.domain ?? '') === '' && c.inputIndex === 1;

/** Decide the encoding of every candidate (reads the graph only). */
export function planEncodings(model: OnnxModel, candidates: readonly Candidate[]): { plans: Plan[]; skips: Skip[] } {
  const readers = topLevelReaders(model.nodes);
  const nested = subgraphReads(model.nodes);
  const from = model.opset('') ?? 1;
  const blockedBy = (to: number) => (from >= to ? [] : opsBlockingUpgrade(model.nodes, from, to));
  const dqBlocking = blockedBy(BLOCKED_DQ_OPSET);
  const plans: Plan[] = [];
  const skips: Skip[] = [];
  for (const c of candidates) {
    const consumers = readers.get(c.init.name) ?? [];
    const dims = c.init.dims;
    const form = blockedForm(dims, c.axis, c.reductionAxis);
    if (dims.length === 2 && !nested.has(c.init.name) && consumers.length > 0 && consumers.every(isMatMulWeight) && ORT_CPU_INT4.MatMulNBits.includes(c.floatType)) {
      const layout = { outer: 1, dim: dims[0], inner: dims[1] };
      plans.push({ c, encoding: 'MatMulNBits', matmuls: consumers.map((x) => x.node), storedDims: [...dims], blockAxis: 0, layout });
      continue;
    }
    let fallback: string | undefined;
    if (!ORT_CPU_INT4['DequantizeLinear-21'].includes(c.floatType)) {
      fallback = `onnxruntime-node's CPU provider has no int4 kernel (MatMulNBits or blocked DequantizeLinear) for ${c.floatType}`;
    } else if (dqBlocking.length > 0) {
      fallback = `blocked DequantizeLinear needs opset ${BLOCKED_DQ_OPSET}, and ${dqBlocking.join(', ')} cannot be moved from opset ${from} to ${BLOCKED_DQ_OPSET} unchecked`;
    }
    if (!fallback) {
      plans.push({ c, encoding: 'DequantizeLinear-21', matmuls: [], ...form });
      continue;
    }
    const int8Blocking = blockedBy(int8Opset(c.floatType));
    if (int8Blocking.length > 0) {
      skips.push({ c, reason: `no int4 form (${fallback}), and int8's DequantizeLinear needs opset ${int8Opset(c.floatType)}, which ${int8Blocking.join(', ')} stand in the way of` });
      continue;
    }
    plans.push({ c, encoding: 'int8', matmuls: [], ...form, fallback });
  }
  return { plans, skips };
}
