/**
 * Channel dependencies of a conv net (read-only analysis). Every Conv/ConvTranspose with group 1 and
 * a weight initializer is a *producer* of channels. Walking the graph in order, each tensor learns
 * which producers' channels it carries and where (`Source`: producer, offset on the channel axis),
 * through the ops that keep channels apart:
 *   elementwise (Relu, Sigmoid, HardSwish, Clip, ...), pools, Resize by scales, Identity/Dropout,
 *   BatchNormalization and depthwise Conv (their per-channel parameters are sliced too),
 *   Concat on axis 1 (offsets shift), GlobalAveragePool -> Flatten (channels become features),
 *   binary ops with a per-channel constant (sliced) or with another tensor (Add of a skip
 *   connection: the producers on both sides are *coupled* and lose the same channels).
 * Terminal consumers take the channels as inputs: Conv/ConvTranspose (input-channel axis of the
 * weight), Gemm/MatMul after a Flatten (input-feature axis). A tensor's channels that reach a graph
 * output, or an operand with channels of unknown origin, make their producers unprunable (kept,
 * with the reason). Any other consumer is a dependency mc cannot resolve: the caller refuses and
 * names that node.
 */
import type { NodeProto, OnnxModel } from '@mc-kit/core';

export interface Producer {
  readonly node: NodeProto;
  readonly weight: string;
  readonly bias?: string;
  /** output-channel axis of the weight: 0 for Conv, 1 for ConvTranspose */
  readonly axis: number;
  readonly channels: number;
}

export interface Source {
  readonly producer: number;
  readonly offset: number;
}

export interface ChannelGraph {
  readonly producers: Producer[];
  /** tensor -> the producers' channels it carries */
  readonly sources: Map<string, Source[]>;
  /** tensor -> channel count, where known */
  readonly channels: Map<string, number>;
  /** producer -> why it must keep its channels */
  readonly blocked: Map<number, string>;
  /** producer -> the first consumer whose dependency cannot be resolved */
  readonly unresolved: Map<number, NodeProto>;
  /** union-find parent: coupled producers share a root */
  readonly parent: number[];
}

const ELEMENTWISE = new Set([
  'Relu',
  'LeakyRelu',
  'PRelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Clip',
  'Elu',
  'Selu',
  'Gelu',
  'Mish',
  'Softplus',
  'Erf',
  'Identity',
  'Dropout',
  'MaxPool',
  'AveragePool',
  'LpPool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Neg',
  'Abs',
  'Exp',
  'Sqrt',
]);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum']);

export const attrInt = (node: NodeProto, name: string, fallback: number): number => {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? fallback : Number(a.i);
};
export const attrInts = (node: NodeProto, name: string): number[] | undefined =>
  node.attribute?.find((x) => x.name === name)?.ints?.map(Number);

export function isDepthwise(model: OnnxModel, node: NodeProto): boolean {
  if (node.opType !== 'Conv') return false;
  const w = model.getInitializer(node.input?.[1] ?? '');
  const group = attrInt(node, 'group', 1);
  return !!w && group > 1 && w.dims[0] === group && w.dims[1] === 1;
}

/** Constant per-channel operand of a binary op: an initializer of size 1 or C along axis 1 (rank 4) / axis 0 (rank 3). */
export function constantOperand(model: OnnxModel, name: string): { dims: readonly number[] } | undefined {
  const init = model.getInitializer(name);
  return init ? { dims: init.dims } : undefined;
}

function find(parent: number[], i: number): number {
  while (parent[i] !== i) i = parent[i] = parent[parent[i]];
  return i;
}
export const rootOf = find;

export function analyzeChannels(model: OnnxModel): ChannelGraph {
  const producers: Producer[] = [];
  const sources = new Map<string, Source[]>();
  const channels = new Map<string, number>();
  const blocked = new Map<number, string>();
  const unresolved = new Map<number, NodeProto>();
  const parent: number[] = [];
  const inits = new Set(model.initializerNames());
  const flatOf = new Set<string>(); // tensors that are [N, C] after GlobalAveragePool -> Flatten
  const pooled = new Set<string>(); // [N, C, 1, 1] after a global pool
  for (const v of model.inputs) {
    const d = v.type?.tensorType?.shape?.dim?.[1];
    if (d?.dimValue !== undefined && d.dimValue !== null) channels.set(v.name ?? '', Number(d.dimValue));
  }
  const block = (srcs: readonly Source[] | undefined, why: string) => {
    for (const s of srcs ?? []) if (!blocked.has(s.producer)) blocked.set(s.producer, why);
  };
  const unresolvedBy = (srcs: readonly Source[] | undefined, node: NodeProto) => {
    for (const s of srcs ?? []) if (!unresolved.has(s.producer)) unresolved.set(s.producer, node);
  };
  const label = (n: NodeProto) => n.name || `${n.opType} -> ${n.output?.[0]}`;

  for (const node of model.nodes) {
    const op = node.opType ?? '';
    const ins = (node.input ?? []).filter((i) => i !== '');
    const x = ins[0];
    const out = node.output?.[0] ?? '';
    const src = sources.get(x);
    const cin = channels.get(x);
    const domainOk = (node.domain ?? '') === '' || node.domain === 'ai.onnx';
    const w = model.getInitializer(node.input?.[1] ?? '');

    if (domainOk && (op === 'Conv' || op === 'ConvTranspose') && w && attrInt(node, 'group', 1) === 1) {
      // A consumer of its input's channels (terminal), and a new producer.
      const axis = op === 'Conv' ? 0 : 1;
      const bias = node.input?.[2] && inits.has(node.input[2]) ? node.input[2] : undefined;
      const i = producers.push({ node, weight: w.name, bias, axis, channels: w.dims[axis] }) - 1;
      parent.push(i);
      sources.set(out, [{ producer: i, offset: 0 }]);
      channels.set(out, w.dims[axis]);
      continue;
    }
    if (domainOk && op === 'Conv' && isDepthwise(model, node)) {
      if (src) sources.set(out, src);
      channels.set(out, w!.dims[0]);
      continue;
    }
    if (
      domainOk &&
      (ELEMENTWISE.has(op) ||
        op === 'BatchNormalization' ||
        op === 'InstanceNormalization' ||
        op === 'Resize' ||
        op === 'Upsample')
    ) {
      if ((op === 'Resize' || op === 'Upsample') && (node.input?.[3] || !resizeKeepsChannels(model, node)))
        unresolvedBy(src, node);
      if (src) sources.set(out, src);
      if (cin !== undefined) channels.set(out, cin);
      if (op === 'GlobalAveragePool' || op === 'GlobalMaxPool') pooled.add(out);
      continue;
    }
    if (domainOk && op === 'Flatten' && pooled.has(x) && attrInt(node, 'axis', 1) === 1) {
      if (src) sources.set(out, src);
      if (cin !== undefined) channels.set(out, cin);
      flatOf.add(out);
      continue;
    }
    if (domainOk && op === 'Concat' && attrInt(node, 'axis', 0) === 1) {
      const merged: Source[] = [];
      let offset = 0;
      let known = true;
      for (const t of ins) {
        for (const s of sources.get(t) ?? []) merged.push({ producer: s.producer, offset: offset + s.offset });
        const c = channels.get(t);
        if (c === undefined) {
          known = false;
          break;
        }
        offset += c;
      }
      if (!known) {
        for (const t of ins) unresolvedBy(sources.get(t), node); // offsets unknown
        continue;
      }
      sources.set(out, merged);
      channels.set(out, offset);
      continue;
    }
    if (domainOk && BINARY.has(op) && ins.length === 2) {
      const [a, b] = ins;
      const ca = inits.has(a);
      const cb = inits.has(b);
      if (ca || cb) {
        const s = sources.get(ca ? b : a);
        if (s) sources.set(out, s);
        const c = channels.get(ca ? b : a);
        if (c !== undefined) channels.set(out, c);
        continue;
      }
      const sa = sources.get(a);
      const sb = sources.get(b);
      if (!sa && !sb) continue;
      if (!coupleable(sa, sb, channels.get(a), channels.get(b), producers)) {
        block(sa, `its channels meet other channels of unknown origin in ${label(node)}`);
        block(sb, `its channels meet other channels of unknown origin in ${label(node)}`);
        continue;
      }
      const ra = find(parent, sa![0].producer);
      const rb = find(parent, sb![0].producer);
      if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      sources.set(out, [...sa!, ...sb!]);
      if (channels.get(a) !== undefined) channels.set(out, channels.get(a)!);
      continue;
    }
    // Any other node reading tensors that carry producers' channels.
    for (const [slot, t] of (node.input ?? []).entries()) {
      const s = sources.get(t);
      if (!s) continue;
      const terminalGemm =
        domainOk && op === 'Gemm' && slot === 0 && flatOf.has(t) && attrInt(node, 'transA', 0) === 0 && w;
      const terminalMatMul = domainOk && op === 'MatMul' && slot === 0 && flatOf.has(t) && w && w.dims.length === 2;
      if (!terminalGemm && !terminalMatMul) unresolvedBy(s, node);
    }
  }
  for (const v of model.outputs) block(sources.get(v.name ?? ''), `its channels are the graph output ${v.name}`);
  return { producers, sources, channels, blocked, unresolved, parent };
}

/** Both operands fully made of one producer's channels each, at offset 0, same count: a skip Add. */
function coupleable(
  sa: Source[] | undefined,
  sb: Source[] | undefined,
  ca: number | undefined,
  cb: number | undefined,
  producers: Producer[],
): boolean {
  if (!sa || !sb || ca === undefined || cb === undefined || ca !== cb) return false;
  const whole = (s: Source[], c: number) => s.every((x) => x.offset === 0 && producers[x.producer].channels === c);
  return whole(sa, ca) && whole(sb, cb);
}

/** Resize/Upsample with constant scales whose channel (and batch) scale is 1. */
function resizeKeepsChannels(model: OnnxModel, node: NodeProto): boolean {
  const scalesName = node.opType === 'Upsample' ? node.input?.[1] : node.input?.[2];
  if (!scalesName) return false;
  const scales = model.getInitializer(scalesName)?.readFloat32();
  return !!scales && scales.length >= 2 && scales[0] === 1 && scales[1] === 1;
}
