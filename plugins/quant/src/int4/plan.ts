/**
 * Which ONNX encoding each selected weight gets (spec quantization.md §3), at the opset the model
 * will have. Only reads the graph.
 *
 * - MatMulNBits: a 2-D weight [K, N] whose every reader is a MatMul (input 1) of the main graph
 *   (a com.microsoft op: any default-domain opset).
 * - DequantizeLinear-21 with block_size (int4/uint4 codes): any other weight (Gemm, Conv, Gather,
 *   a MatMul weight of rank 3, one read inside a subgraph) at opset 21 and later.
 * - nibbles (nibbles.ts): the same weights below opset 21, the same 4-bit codes unpacked by
 *   integer ops valid from opset 9.
 * - int8 per channel: bfloat16 weights, for which onnxruntime-node's CPU provider has no int4
 *   kernel. Never silent: the plan says why, and the report repeats it.
 */
import type { Consumer, NodeProto, OnnxModel } from '@mc-kit/core';
import type { FloatType } from '../grid/float-types.js';
import { dqOpset, int8Form, type Int8Form } from '../int8/rewrite.js';
import type { WeightCandidate as Candidate } from '@mc-kit/core';
import type { BlockLayout } from './math.js';

export type Encoding = 'MatMulNBits' | 'DequantizeLinear-21' | 'nibbles' | 'int8';

/**
 * The float types onnxruntime-node 1.30's CPU provider has a kernel for, per int4 encoding
 * (support.test.ts opens a real session for every cell, and for bfloat16, which has neither).
 */
export const ORT_CPU_INT4: Readonly<Record<'MatMulNBits' | 'DequantizeLinear-21', readonly FloatType[]>> =
  Object.freeze({
    MatMulNBits: Object.freeze(['float32', 'float16'] as FloatType[]),
    'DequantizeLinear-21': Object.freeze(['float32', 'float16'] as FloatType[]),
  });

/** DequantizeLinear with block_size and int4/uint4 arrived in opset 21. */
export const BLOCKED_DQ_OPSET = 21;

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
  /** int8 fallback: DequantizeLinear or Cast/Mul at the model's opset */
  readonly int8Form?: Int8Form;
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
export function blockedForm(
  dims: readonly number[],
  outputAxis: number,
  reductionAxis = outputAxis - 1,
): { storedDims: number[]; blockAxis: number; layout: BlockLayout } {
  const storedDims = dims.length > 2 && outputAxis === 0 ? [dims[0], prod(dims.slice(1))] : [...dims];
  const blockAxis = outputAxis === 0 ? 1 : reductionAxis;
  const layout = {
    outer: prod(storedDims.slice(0, blockAxis)),
    dim: storedDims[blockAxis],
    inner: prod(storedDims.slice(blockAxis + 1)),
  };
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

const isMatMulWeight = (c: Consumer) =>
  c.node.opType === 'MatMul' && (c.node.domain ?? '') === '' && c.inputIndex === 1;

/** Decide the encoding of every candidate at `opset` (reads the graph only). */
export function planEncodings(
  model: OnnxModel,
  candidates: readonly Candidate[],
  opset: number,
): { plans: Plan[]; skips: Skip[] } {
  const readers = topLevelReaders(model.nodes);
  const nested = subgraphReads(model.nodes);
  const plans: Plan[] = [];
  const skips: Skip[] = [];
  for (const c of candidates) {
    const consumers = readers.get(c.init.name) ?? [];
    const dims = c.init.dims;
    const form = blockedForm(dims, c.axis, c.reductionAxis);
    if (
      dims.length === 2 &&
      !nested.has(c.init.name) &&
      consumers.length > 0 &&
      consumers.every(isMatMulWeight) &&
      ORT_CPU_INT4.MatMulNBits.includes(c.floatType)
    ) {
      const layout = { outer: 1, dim: dims[0], inner: dims[1] };
      plans.push({
        c,
        encoding: 'MatMulNBits',
        matmuls: consumers.map((x) => x.node),
        storedDims: [...dims],
        blockAxis: 0,
        layout,
      });
      continue;
    }
    if (ORT_CPU_INT4['DequantizeLinear-21'].includes(c.floatType)) {
      plans.push({ c, encoding: opset >= BLOCKED_DQ_OPSET ? 'DequantizeLinear-21' : 'nibbles', matmuls: [], ...form });
      continue;
    }
    const fallback = `onnxruntime-node's CPU provider has no int4 kernel (MatMulNBits or blocked DequantizeLinear) for ${c.floatType}`;
    const int8 = int8Form(c.floatType, false, opset);
    if (!int8) {
      skips.push({ c, reason: `no int4 form (${fallback}), and int8's decode of ${c.floatType} needs opset 13` });
      continue;
    }
    plans.push({ c, encoding: 'int8', matmuls: [], ...form, fallback, int8Form: int8 });
  }
  return { plans, skips };
}

/** The opset the standard form of every planned weight needs (0: none beyond what any opset has). */
export function standardOpset(plans: readonly Plan[]): number {
  return Math.max(
    0,
    ...plans.map((p) =>
      p.encoding === 'DequantizeLinear-21' || p.encoding === 'nibbles'
        ? BLOCKED_DQ_OPSET
        : p.encoding === 'int8'
          ? dqOpset(p.c.floatType, false)
          : 0,
    ),
  );
}
