/**
 * The layers that read pruned channels (Conv, ConvTranspose, and the Gemm/MatMul after a global
 * pool), each seen as a linear layer over features: rows = its output channels, columns = its input
 * channels times the kernel offsets each one meets, plus a ones column for the bias. This file
 * reads them from the graph, names their capture targets, builds their Gram matrix from the
 * captured statistics, and writes refit weights back in the node's own layout.
 *
 * ConvTranspose: output pixel (i·s + a, j·s + b) reads input pixel (i, j) through kernel offset
 * (a, b) only when the stride equals the kernel (no overlap), so its patch Gram matrix is block
 * diagonal over the offsets, each block XᵀX over input pixels, and all offsets are solved jointly
 * with the shared bias. Overlapping ConvTranspose (stride < kernel), pads, dilations or
 * output_padding are refused by name when a refit is asked for.
 */
import {
  convPatchesOf,
  ErrorCodes,
  UserError,
  type ActivationStats,
  type CaptureTarget,
  type NodeProto,
  type OnnxModel,
} from '@mc-kit/core';
import { attrInt, attrInts } from './graph.js';
import { augmentedGram } from './refit.js';

export interface ConsumerLayer {
  readonly node: NodeProto;
  readonly op: 'Conv' | 'ConvTranspose' | 'Gemm' | 'MatMul';
  /** the input tensor whose channels are pruned (input 0) */
  readonly tensor: string;
  readonly weight: string;
  readonly bias?: string;
  /** input channels (features for Gemm/MatMul) */
  readonly channels: number;
  /** kernel offsets per input channel (1 for Gemm/MatMul) */
  readonly offsets: number;
  /** output channels: the rows of the view */
  readonly rows: number;
  /** whether the view has the ones column (every op but MatMul, which has no bias slot) */
  readonly ones: boolean;
  readonly target: CaptureTarget;
}

export const label = (n: NodeProto) => n.name || `${n.opType} -> ${n.output?.[0]}`;

const ONE_BY_ONE = { group: 1, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] } as const;

/** The consumer view of a terminal node reading a pruned tensor at input 0. */
export function consumerLayer(model: OnnxModel, node: NodeProto): ConsumerLayer {
  const op = node.opType as ConsumerLayer['op'];
  const [tensor, weight] = node.input ?? [];
  const w = model.getInitializer(weight)!;
  const bias = node.input?.[2] && model.getInitializer(node.input[2]) ? node.input[2] : undefined;
  if (op === 'Conv') {
    const conv = convPatchesOf(node, w.dims);
    const offsets = w.dims.slice(2).reduce((a, b) => a * b, 1);
    return {
      node,
      op,
      tensor,
      weight,
      bias,
      channels: w.dims[1],
      offsets,
      rows: w.dims[0],
      ones: true,
      target: { weight, tensor, features: w.dims[1] * offsets, conv },
    };
  }
  if (op === 'ConvTranspose') {
    refuseOverlap(node, w.dims);
    const offsets = w.dims.slice(2).reduce((a, b) => a * b, 1);
    const cin = w.dims[0];
    return {
      node,
      op,
      tensor,
      weight,
      bias,
      channels: cin,
      offsets,
      rows: w.dims[1],
      ones: true,
      target: { weight, tensor, features: cin, conv: { channels: cin, ...ONE_BY_ONE } },
    };
  }
  const transB = op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
  const [k, n] = transB ? [w.dims[1], w.dims[0]] : [w.dims[0], w.dims[1]];
  return {
    node,
    op,
    tensor,
    weight,
    bias,
    channels: k,
    offsets: 1,
    rows: n,
    ones: op === 'Gemm',
    target: { weight, tensor, features: k },
  };
}

function refuseOverlap(node: NodeProto, dims: readonly number[]): void {
  const kernel = dims.slice(2);
  const strides = attrInts(node, 'strides') ?? kernel.map(() => 1);
  const zero = (name: string) => (attrInts(node, name) ?? []).every((v) => v === 0);
  const ones = (attrInts(node, 'dilations') ?? []).every((v) => v === 1);
  const autoPad = node.attribute?.find((a) => a.name === 'auto_pad');
  const autoPadSet = !!autoPad?.s && new TextDecoder().decode(autoPad.s as Uint8Array) !== 'NOTSET';
  if (
    kernel.length !== 2 ||
    strides.join() !== kernel.join() ||
    !zero('pads') ||
    !zero('output_padding') ||
    !ones ||
    autoPadSet ||
    attrInt(node, 'group', 1) !== 1
  ) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `--algo channel: ConvTranspose node ${label(node)} reads pruned channels, and mc refits a ConvTranspose only when its stride equals its 2-D kernel (no overlap, no pads, dilations or output_padding)`,
      {
        hint: `keep today's L1 choice without refit with --recover none, or leave the Convs that feed it whole with --exclude`,
      },
    );
  }
}

/** The weights as rows [rows, channels·offsets (+1 bias)] in im2col column order, float64. */
export function readView(model: OnnxModel, c: ConsumerLayer): Float64Array {
  const w = model.getInitializer(c.weight)!.readFloat32();
  const F = c.channels * c.offsets;
  const n = F + (c.ones ? 1 : 0);
  const out = new Float64Array(c.rows * n);
  const { alpha, beta } = gemmScales(c);
  for (let r = 0; r < c.rows; r++) {
    for (let ci = 0; ci < c.channels; ci++) {
      for (let o = 0; o < c.offsets; o++) out[r * n + ci * c.offsets + o] = alpha * w[sourceIndex(c, r, ci, o)];
    }
  }
  if (c.ones && c.bias) {
    const b = model.getInitializer(c.bias)!.readFloat32();
    for (let r = 0; r < c.rows; r++) out[r * n + F] = beta * (b.length === 1 ? b[0] : b[r]);
  }
  return out;
}

/** Write a view back (weights, and the bias, which is created when the node had none). */
export function writeView(model: OnnxModel, c: ConsumerLayer, view: Float64Array): void {
  const init = model.getInitializer(c.weight)!;
  const w = new Float32Array(init.elementCount);
  const F = c.channels * c.offsets;
  const n = F + (c.ones ? 1 : 0);
  const { alpha, beta } = gemmScales(c);
  for (let r = 0; r < c.rows; r++) {
    for (let ci = 0; ci < c.channels; ci++) {
      for (let o = 0; o < c.offsets; o++) w[sourceIndex(c, r, ci, o)] = view[r * n + ci * c.offsets + o] / alpha;
    }
  }
  model.setInitializer(c.weight, init.dataType, init.dims, w);
  if (!c.ones) return;
  const scale = usableBeta(c, beta);
  const b = Float32Array.from({ length: c.rows }, (_, r) => view[r * n + F] / scale);
  if (c.bias) {
    const old = model.getInitializer(c.bias)!;
    model.setInitializer(c.bias, old.dataType, [c.rows], b);
    return;
  }
  if (b.every((v) => v === 0)) return;
  const name = model.uniqueName(`${c.weight}.mc_refit_bias`);
  model.setInitializer(name, init.dataType, [c.rows], b);
  const inputs = (c.node.input ??= []);
  while (inputs.length < 2) inputs.push('');
  inputs[2] = name;
}

/** Gemm computes alpha·A·B + beta·C: the view holds the effective weights and bias. */
function gemmScales(c: ConsumerLayer): { alpha: number; beta: number } {
  if (c.op !== 'Gemm') return { alpha: 1, beta: 1 };
  const f = (name: string) => {
    const a = c.node.attribute?.find((x) => x.name === name);
    return a?.f === undefined || a.f === null ? 1 : Number(a.f);
  };
  return { alpha: f('alpha'), beta: f('beta') };
}

/** beta 0 would ignore the refit bias: make it 1 (the stored C is then the effective bias). */
function usableBeta(c: ConsumerLayer, beta: number): number {
  if (beta !== 0) return beta;
  const a = c.node.attribute?.find((x) => x.name === 'beta');
  if (a) a.f = 1;
  return 1;
}

/** Index in the stored weight of (output r, input channel ci, kernel offset o). */
function sourceIndex(c: ConsumerLayer, r: number, ci: number, o: number): number {
  switch (c.op) {
    case 'Conv':
      return (r * c.channels + ci) * c.offsets + o;
    case 'ConvTranspose':
      return (ci * c.rows + r) * c.offsets + o;
    case 'Gemm':
      return attrInt(c.node, 'transB', 0) === 1 ? r * c.channels + ci : ci * c.rows + r;
    default:
      return ci * c.rows + r;
  }
}

/** The Gram matrix over the view's columns from the captured statistics (see the header for ConvTranspose). */
export function gramOf(c: ConsumerLayer, s: ActivationStats): { G: Float64Array; n: number } {
  if (!s.xtx || !s.sum) throw new Error(`statistics of ${c.weight} lack X^T X or Σx`);
  const stats = { features: s.features, rows: s.rows, xtx: s.xtx, sum: s.sum };
  if (c.op !== 'ConvTranspose') return augmentedGram(stats, c.ones);
  const C = c.channels;
  const O = c.offsets;
  const n = C * O + 1;
  const G = new Float64Array(n * n);
  for (let ci = 0; ci < C; ci++) {
    for (let o = 0; o < O; o++) {
      const i = ci * O + o;
      for (let cj = 0; cj < C; cj++) G[i * n + cj * O + o] = s.xtx[ci * C + cj];
      G[i * n + n - 1] = G[(n - 1) * n + i] = s.sum[ci];
    }
  }
  G[n * n - 1] = s.rows * O; // every input pixel makes O output pixels, each with the bias
  return { G, n };
}

/** The view's columns of input channel positions `positions`. */
export function columnsOf(c: ConsumerLayer, positions: Iterable<number>): number[] {
  const cols: number[] = [];
  for (const p of positions) for (let o = 0; o < c.offsets; o++) cols.push(p * c.offsets + o);
  return cols.sort((a, b) => a - b);
}
