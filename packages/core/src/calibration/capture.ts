/**
 * captureActivations: run a COPY of the model whose target activations are extra graph outputs over
 * the calibration samples, folding each window into streaming statistics (stats.ts) and dropping it.
 *
 * The copy keeps only the nodes the targets need (a stage early in the network runs a fraction of
 * it) and, when a Hessian is wanted, computes each window's X^T X inside onnxruntime
 * (Cast -> Reshape [-1, K] -> Transpose -> MatMul): a K x K float32 block comes back per window
 * instead of rows x K activations, and the float64 sum across windows happens here. With
 * hessian: false the rows themselves come back (Wanda needs only Σ x_j^2).
 *
 * A Conv target's input is unfolded into im2col patches by a second Conv inside the copy: a
 * depthwise Conv (group = Cin) whose one-hot weight [Cin·Πk, 1, k...] puts input channel c at kernel
 * offset o on output channel c·Πk + o, with the target's strides, pads, dilations and auto_pad. Its
 * channels are the patch features in the weight's own order, so Reshape [N, group, K, -1] ->
 * Transpose -> [group, K, rows] gives every group's X^T X in one batched MatMul ([group, K, K] comes
 * back, never the patches). Without a Hessian, Σ x^2 per feature comes back instead ([group, K]).
 *
 * The model passed in is not modified; capture it again after editing it (sequential methods).
 */
import { throwIfAborted } from '../context.js';
import type { RunContext } from '../contracts.js';
import { BugError, ErrorCodes, UserError } from '../errors.js';
import { buildFeeds, inputSpecs } from '../lm/feeds.js';
import { DataType } from '../onnx/dtypes.js';
import { makeTensor } from '../onnx/initializer.js';
import type { NodeProto, OnnxModel } from '../onnx/model.js';
import { pb, type onnx } from '../onnx/proto.js';
import { serializeModel } from '../onnx/writer.js';
import type { HostTensor } from '../session/types.js';
import { addSquares, addSums, addSumSquares, addWindow, createStats } from './stats.js';
import { patchFeatures } from './targets.js';
import type {
  ActivationStats,
  CalibrationSample,
  CalibrationSet,
  CalibrationSource,
  CaptureOptions,
  CaptureResult,
  CaptureTarget,
  ConvPatches,
} from './types.js';

const PREFIX = 'mc_calib';
const INT = 2; // AttributeProto.AttributeType.INT
const INTS = 7;
const STRING = 3;

/** Per distinct statistics key: what comes back from the copy. */
interface Probe {
  readonly target: CaptureTarget;
  /** MatMul/Gemm: [K, K] X^T X (hessian) or [rows, K] X; Conv: [group, K, K] X^T X or [group, K] Σ x^2 */
  readonly value: string;
  /** int64 shape of the rows view: [rows, K] (MatMul/Gemm, hessian only) or [group, K, rows] (Conv) */
  readonly shape?: string;
  /** Σ x per feature: [K] (MatMul/Gemm) or [group, K] (Conv); with options.sums only */
  readonly sum?: string;
}

/**
 * Where a target's statistics sit in a CaptureResult: the tensor name for MatMul/Gemm (so targets
 * reading one tensor share them), the tensor with its patch geometry and group for a Conv.
 */
export function statsKey(target: CaptureTarget, group = 0): string {
  const c = target.conv;
  if (!c) return target.tensor;
  return `${target.tensor}|conv c${c.channels} g${c.group} k${c.kernel.join('x')} s${c.strides.join('x')} p${c.pads.join('x')} d${c.dilations.join('x')}${c.autoPad ? ` ${c.autoPad}` : ''}|${group}`;
}

/** A target's statistics: one for MatMul/Gemm, one per group for a Conv (group order). */
export function statsOf(result: CaptureResult, target: CaptureTarget): ActivationStats[] {
  const groups = target.conv?.group ?? 1;
  return Array.from({ length: groups }, (_, g) => {
    const s = result.get(statsKey(target, g));
    if (!s) throw new BugError(`capture: no statistics for ${target.weight} (${statsKey(target, g)})`);
    return s;
  });
}

export async function captureActivations(
  model: OnnxModel,
  targets: readonly CaptureTarget[],
  source: CalibrationSource | CalibrationSet,
  ctx: RunContext,
  options: CaptureOptions = {},
): Promise<CaptureResult> {
  const hessian = options.hessian ?? true;
  const sums = hessian && (options.sums ?? false);
  const set = 'load' in source ? await source.load() : source;
  if (set.samples.length === 0)
    throw new UserError(ErrorCodes.BAD_DATASET, `calibration set ${set.info.dataset} holds no samples`, {
      hint: 'pass a larger --calib-dataset or raise --calib-samples',
    });
  const unique = dedupe(targets);
  const stats: CaptureResult = new Map(
    unique.flatMap((t) =>
      Array.from(
        { length: t.conv?.group ?? 1 },
        (_, g) => [statsKey(t, g), createStats(t.features, hessian, sums)] as const,
      ),
    ),
  );
  if (unique.length === 0) return stats;

  const { bytes, probes } = buildCaptureModel(model, unique, hessian, sums);
  const session = await ctx.sessions.create(bytes);
  const specs = set.samples.some((s) => s.kind === 'tokens')
    ? inputSpecs(model.inputs, new Set(model.initializerNames()))
    : [];
  const task = ctx.progress.start(options.label ?? 'calibrating', set.samples.length);
  try {
    const outputs = probes.flatMap(probeOutputs);
    for (const sample of set.samples) {
      throwIfAborted(ctx.signal);
      const out = await session.run(feedsOf(sample, specs, set.config), outputs);
      for (const p of probes) fold(stats, p, out);
      task.tick();
    }
    task.done();
  } catch (e) {
    task.fail();
    throw e;
  } finally {
    await session.release();
  }
  return stats;
}

function dedupe(targets: readonly CaptureTarget[]): CaptureTarget[] {
  const seen = new Map<string, CaptureTarget>();
  for (const t of targets) {
    if (t.conv && (t.conv.channels % t.conv.group !== 0 || patchFeatures(t.conv) !== t.features))
      throw new BugError(`capture: ${t.weight}: ${t.features} features do not match its patches`);
    const key = statsKey(t);
    const prev = seen.get(key);
    if (prev && prev.features !== t.features)
      throw new BugError(
        `capture: ${t.tensor} has ${prev.features} features for ${prev.weight} but ${t.features} for ${t.weight}`,
      );
    if (!prev) seen.set(key, t);
  }
  return [...seen.values()];
}

function feedsOf(
  sample: CalibrationSample,
  specs: ReturnType<typeof inputSpecs>,
  config?: Record<string, unknown>,
): Record<string, HostTensor> {
  if (sample.kind === 'feeds') return { ...sample.feeds };
  const T = sample.ids.length;
  return buildFeeds(specs, { batch: 1, length: T, inputs: sample.ids, targets: sample.ids }, config);
}

function fold(result: CaptureResult, p: Probe, out: Record<string, HostTensor>): void {
  const value = out[p.value];
  if (!(value?.data instanceof Float32Array)) throw new BugError(`capture: ${p.value} came back as ${value?.type}`);
  if (p.target.conv) {
    // [group, K, K] or [group, K]; rows = the patches of this window (same for every group)
    const rows = Number((out[p.shape as string].data as BigInt64Array)[2]);
    const K = p.target.features;
    const per = value.data.length / p.target.conv.group;
    const sum = p.sum ? (out[p.sum].data as Float32Array) : undefined;
    for (let g = 0; g < p.target.conv.group; g++) {
      const stats = result.get(statsKey(p.target, g)) as ActivationStats;
      const part = value.data.subarray(g * per, (g + 1) * per);
      if (per === K * K) addWindow(stats, part, rows);
      else addSumSquares(stats, part, rows);
      if (sum) addSums(stats, sum.subarray(g * K, (g + 1) * K));
    }
    return;
  }
  const stats = result.get(statsKey(p.target)) as ActivationStats;
  if (p.shape) {
    const rows = Number((out[p.shape].data as BigInt64Array)[0]);
    addWindow(stats, value.data, rows);
    if (p.sum) addSums(stats, out[p.sum].data as Float32Array);
  } else {
    addSquares(stats, value.data, value.dims[0]);
  }
}

/** The pruned copy with probes as its only outputs, serialized for onnxruntime. */
const probeOutputs = (p: Probe): string[] => [p.value, ...(p.shape ? [p.shape] : []), ...(p.sum ? [p.sum] : [])];

/** ReduceSum over `axis` without keeping it (its axes became an input at opset 13). */
function reduceSum(
  x: string,
  axis: number,
  opset: number,
  out: string,
  name: string,
  axesName: string,
): { node: NodeProto; init?: onnx.ITensorProto } {
  const keep = { name: 'keepdims', type: INT, i: 0 };
  if (opset < 13)
    return {
      node: {
        opType: 'ReduceSum',
        domain: '',
        name,
        input: [x],
        output: [out],
        attribute: [{ name: 'axes', type: INTS, ints: [axis] }, keep],
      },
    };
  return {
    node: { opType: 'ReduceSum', domain: '', name, input: [x, axesName], output: [out], attribute: [keep] },
    init: makeTensor(axesName, DataType.INT64, [1], BigInt64Array.from([BigInt(axis)])),
  };
}

export function buildCaptureModel(
  model: OnnxModel,
  targets: readonly CaptureTarget[],
  hessian: boolean,
  sums = false,
): { bytes: Uint8Array; probes: Probe[] } {
  const graph = model.proto.graph as onnx.IGraphProto;
  const taken = takenNames(graph);
  const fresh = (base: string) => {
    let name = `${PREFIX}_${base}`;
    for (let i = 1; taken.has(name); i++) name = `${PREFIX}_${base}_${i}`;
    taken.add(name);
    return name;
  };
  const known = new Set([
    ...(graph.input ?? []).map((v) => v.name ?? ''),
    ...model.initializerNames(),
    ...model.nodes.flatMap((n) => n.output ?? []),
  ]);
  const nodes: NodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  const probes: Probe[] = [];
  const opset = model.opset('') ?? 1;
  targets.forEach((t, i) => {
    if (!known.has(t.tensor)) throw new BugError(`capture: no tensor ${t.tensor} in the graph`);
    if (t.conv) {
      const added = convProbe(t, t.conv, i, hessian, opset, fresh, sums);
      nodes.push(...added.nodes);
      initializers.push(...added.initializers);
      probes.push(added.probe);
      return;
    }
    const f32 = fresh(`${i}_f32`);
    const rowsK = fresh(`${i}_rows`);
    const shapeConst = fresh(`${i}_shape_const`);
    initializers.push(makeTensor(shapeConst, DataType.INT64, [2], BigInt64Array.from([-1n, BigInt(t.features)])));
    // Cast: a float16 model's X^T X would overflow in its own type.
    nodes.push({
      opType: 'Cast',
      domain: '',
      name: fresh(`${i}_Cast`),
      input: [t.tensor],
      output: [f32],
      attribute: [{ name: 'to', type: INT, i: DataType.FLOAT }],
    });
    nodes.push({
      opType: 'Reshape',
      domain: '',
      name: fresh(`${i}_Reshape`),
      input: [f32, shapeConst],
      output: [rowsK],
    });
    if (!hessian) {
      probes.push({ target: t, value: rowsK });
      return;
    }
    const xt = fresh(`${i}_xt`);
    const xtx = fresh(`${i}_xtx`);
    const shape = fresh(`${i}_dims`);
    nodes.push({
      opType: 'Transpose',
      domain: '',
      name: fresh(`${i}_Transpose`),
      input: [rowsK],
      output: [xt],
      attribute: [{ name: 'perm', type: INTS, ints: [1, 0] }],
    });
    nodes.push({ opType: 'MatMul', domain: '', name: fresh(`${i}_MatMul`), input: [xt, rowsK], output: [xtx] });
    nodes.push({ opType: 'Shape', domain: '', name: fresh(`${i}_Shape`), input: [rowsK], output: [shape] });
    let sum: string | undefined;
    if (sums) {
      sum = fresh(`${i}_sum`);
      const r = reduceSum(rowsK, 0, opset, sum, fresh(`${i}_ReduceSum`), fresh(`${i}_sum_axes`));
      nodes.push(r.node);
      if (r.init) initializers.push(r.init);
    }
    probes.push({ target: t, value: xtx, shape, ...(sum ? { sum } : {}) });
  });
  const needed = neededNodes(
    model.nodes,
    targets.map((t) => t.tensor),
  );
  const outputs = probes.flatMap(probeOutputs).map((name) => pb.ValueInfoProto.create({ name }));
  // Initializers only the dropped nodes read are left out too (onnxruntime warns about each unused one);
  // so are their graph-input entries, which IR < 4 models carry for every initializer.
  const read = new Set([...needed, ...nodes].flatMap((n) => n.input ?? []));
  const dropped = new Set(
    hasSubgraphs(model.nodes)
      ? []
      : (graph.initializer ?? []).filter((t) => !read.has(t.name ?? '')).map((t) => t.name ?? ''),
  );
  const copy = pb.ModelProto.create({
    ...model.proto,
    graph: pb.GraphProto.create({
      ...graph,
      node: [...needed, ...nodes],
      input: (graph.input ?? []).filter((v) => !dropped.has(v.name ?? '')),
      output: outputs,
      initializer: [...(graph.initializer ?? []).filter((t) => !dropped.has(t.name ?? '')), ...initializers],
    }),
  });
  return { bytes: serializeModel(copy, model.baseDir).model, probes };
}

/** Cast -> unfolding Conv -> [group, K, rows] -> X^T X per group (or Σ x^2 per group): see the header. */
function convProbe(
  t: CaptureTarget,
  c: ConvPatches,
  i: number,
  hessian: boolean,
  opset: number,
  fresh: (base: string) => string,
  withSums = false,
): { nodes: NodeProto[]; initializers: onnx.ITensorProto[]; probe: Probe } {
  const nodes: NodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  const node = (opType: string, input: string[], attribute: onnx.IAttributeProto[] = []) => {
    const out = fresh(`${i}_${opType}_out`);
    nodes.push({ opType, domain: '', name: fresh(`${i}_${opType}`), input, output: [out], attribute });
    return out;
  };
  const ints = (name: string, v: readonly number[]) => ({ name, type: INTS, ints: [...v] });
  const int64 = (base: string, v: readonly number[]) => {
    const name = fresh(`${i}_${base}`);
    initializers.push(makeTensor(name, DataType.INT64, [v.length], BigInt64Array.from(v, BigInt)));
    return name;
  };
  const offsets = c.kernel.reduce((a, b) => a * b, 1);
  const unfoldW = fresh(`${i}_unfold_weight`);
  const onehot = new Float32Array(c.channels * offsets * offsets);
  for (let ch = 0; ch < c.channels; ch++)
    for (let o = 0; o < offsets; o++) onehot[(ch * offsets + o) * offsets + o] = 1;
  initializers.push(makeTensor(unfoldW, DataType.FLOAT, [c.channels * offsets, 1, ...c.kernel], onehot));
  const f32 = node('Cast', [t.tensor], [{ name: 'to', type: INT, i: DataType.FLOAT }]);
  const convAttrs: onnx.IAttributeProto[] = [
    { name: 'group', type: INT, i: c.channels },
    ints('kernel_shape', c.kernel),
    ints('strides', c.strides),
    ints('dilations', c.dilations),
    c.autoPad ? { name: 'auto_pad', type: STRING, s: new TextEncoder().encode(c.autoPad) } : ints('pads', c.pads),
  ];
  const patches = node('Conv', [f32, unfoldW], convAttrs); // [N, Cin·Πk, out...]
  const split = node('Reshape', [patches, int64('groups_shape', [0, c.group, t.features, -1])]); // [N, G, K, L]
  const moved = node('Transpose', [split], [ints('perm', [1, 2, 0, 3])]); // [G, K, N, L]
  const rows = node('Reshape', [moved, int64('rows_shape', [c.group, t.features, -1])]); // [G, K, R]
  const shape = node('Shape', [rows]);
  if (hessian) {
    const xt = node('Transpose', [rows], [ints('perm', [0, 2, 1])]); // [G, R, K]
    const value = node('MatMul', [rows, xt]);
    if (!withSums) return { nodes, initializers, probe: { target: t, value, shape } };
    const sum = fresh(`${i}_sum`);
    const r = reduceSum(rows, 2, opset, sum, fresh(`${i}_ReduceSum_x`), fresh(`${i}_sum_axes`)); // [G, K]
    nodes.push(r.node);
    if (r.init) initializers.push(r.init);
    return { nodes, initializers, probe: { target: t, value, shape, sum } };
  }
  const squares = node('Mul', [rows, rows]);
  // ReduceSum's axes became an input at opset 13
  const sums =
    opset >= 13
      ? node('ReduceSum', [squares, int64('axes', [2])], [{ name: 'keepdims', type: INT, i: 0 }])
      : node('ReduceSum', [squares], [ints('axes', [2]), { name: 'keepdims', type: INT, i: 0 }]);
  return { nodes, initializers, probe: { target: t, value: sums, shape } };
}

/** The nodes `tensors` depend on, in graph order (all of them when a node carries a subgraph: its outer-scope reads are not listed as inputs). */
function neededNodes(nodes: readonly NodeProto[], tensors: readonly string[]): NodeProto[] {
  if (hasSubgraphs(nodes)) return [...nodes];
  const want = new Set(tensors);
  const keep: boolean[] = new Array(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!(nodes[i].output ?? []).some((o) => want.has(o))) continue;
    keep[i] = true;
    for (const input of nodes[i].input ?? []) if (input) want.add(input);
  }
  return nodes.filter((_, i) => keep[i]);
}

function hasSubgraphs(nodes: readonly NodeProto[]): boolean {
  return nodes.some((n) => (n.attribute ?? []).some((a) => a.g || (a.graphs?.length ?? 0) > 0));
}

function takenNames(graph: onnx.IGraphProto): Set<string> {
  const names = new Set<string>();
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])])
    names.add(v.name ?? '');
  for (const t of graph.initializer ?? []) names.add(t.name ?? '');
  for (const n of graph.node ?? []) {
    names.add(n.name ?? '');
    for (const x of [...(n.input ?? []), ...(n.output ?? [])]) names.add(x);
  }
  return names;
}
