/**
 * Which node inputs read a weight, and along which axes. One table for every method: selectWeights
 * decides candidates from it, and weight discovery uses it to tell a weight slot from a data slot.
 *
 * `axis` is the output-channel axis (one scale per slice along it for per-channel int8);
 * `reductionAxis` is the axis the op sums over for one output (where int4 blocks run).
 */
import type { Consumer, NodeProto } from './model-types.js';

export interface WeightRole {
  /** output-channel axis */
  readonly axis: number;
  /** the axis one output sums over (MatMul's K, a Conv's input channels) */
  readonly reductionAxis: number;
}

const isDefaultDomain = (node: NodeProto) => (node.domain ?? '') === '' || node.domain === 'ai.onnx';

export function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? fallback : Number(a.i);
}

/** LSTM, GRU and RNN read W [dirs, gates·hidden, input] at 1 and R [dirs, gates·hidden, hidden] at 2. */
const RECURRENT = new Set(['LSTM', 'GRU', 'RNN']);

/** The ops and input slots that hold a weight, whatever its rank (for discovery and errors). */
export function isWeightSlot(node: NodeProto, inputIndex: number): boolean {
  if (!isDefaultDomain(node)) return false;
  switch (node.opType) {
    case 'MatMul':
    case 'Gemm':
    case 'Conv':
    case 'ConvTranspose':
      return inputIndex === 1;
    case 'Gather':
      return inputIndex === 0;
    default:
      return RECURRENT.has(node.opType ?? '') && (inputIndex === 1 || inputIndex === 2);
  }
}

/** The weight role of `c` for a tensor of rank `rank`, or undefined when it reads data there. */
export function weightRole(c: Consumer, rank: number): WeightRole | undefined {
  if (!isWeightSlot(c.node, c.inputIndex)) return undefined;
  switch (c.node.opType) {
    case 'MatMul': // [..., K, N]: N output features
      return rank >= 2 ? { axis: rank - 1, reductionAxis: rank - 2 } : undefined;
    case 'Gemm': // B is [K, N], or [N, K] with transB=1
      return intAttr(c.node, 'transB', 0) ? { axis: 0, reductionAxis: 1 } : { axis: 1, reductionAxis: 0 };
    case 'Conv': // [M, C/group, k...]: M output channels, each a sum over C/group·k...
      return { axis: 0, reductionAxis: 1 };
    case 'ConvTranspose': // [C, M/group, k...]: M/group output channels per group, each a sum over C
      return { axis: 1, reductionAxis: 0 };
    case 'Gather': // an embedding table [vocab, dim]: one scale per row (token)
      return { axis: 0, reductionAxis: 1 };
    default: // LSTM/GRU/RNN W and R: one row per gate unit, each a sum over the input (or hidden) features
      return rank === 3 ? { axis: 1, reductionAxis: 2 } : undefined;
  }
}

/**
 * Where a rank-1 tensor read by `c` is a learned parameter: a bias (Conv, ConvTranspose, Gemm C,
 * an Add after a MatMul), a norm's scale or shift (LayerNormalization, the scale and B of
 * BatchNormalization / InstanceNormalization, a decomposed norm's Mul and Add).
 */
export function isBiasOrNormSlot(c: Consumer): boolean {
  if (!isDefaultDomain(c.node)) return false;
  switch (c.node.opType) {
    case 'Conv':
    case 'ConvTranspose':
    case 'Gemm':
      return c.inputIndex === 2;
    case 'LayerNormalization':
    case 'InstanceNormalization':
      return c.inputIndex === 1 || c.inputIndex === 2;
    case 'BatchNormalization': // inputs 3 and 4 are the running mean and variance: buffers
      return c.inputIndex === 1 || c.inputIndex === 2;
    case 'Add':
    case 'Mul':
      return true;
    default:
      return false;
  }
}
