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
import { addSquares, addWindow, createStats } from './stats.js';
import type { ActivationStats, CalibrationSample, CalibrationSet, CalibrationSource, CaptureOptions, CaptureResult, CaptureTarget } from './types.js';

const PREFIX = 'mc_calib';
const INT = 2; // AttributeProto.AttributeType.INT
const INTS = 7;

/** Per distinct activation tensor: what comes back from the copy. */
interface Probe {
  readonly tensor: string;
  readonly features: number;
  /** [K, K] X^T X (hessian) or [rows, K] X */
  readonly value: string;
  /** int64 [2] shape of the [rows, K] view (hessian only; otherwise value's dims say it) */
  readonly shape?: string;
}

export async function captureActivations(
  model: OnnxModel,
  targets: readonly CaptureTarget[],
  source: CalibrationSource | CalibrationSet,
  ctx: RunContext,
  options: CaptureOptions = {},
): Promise<CaptureResult> {
  const hessian = options.hessian ?? true;
  const set = 'load' in source ? await source.load() : source;
  if (set.samples.length === 0) throw new UserError(ErrorCodes.BAD_DATASET, `calibration set ${set.info.dataset} holds no samples`, { hint: 'pass a larger --calib-dataset or raise --calib-samples' });
  const unique = dedupe(targets);
  const stats: CaptureResult = new Map(unique.map((t) => [t.tensor, createStats(t.features, hessian)]));
  if (unique.length === 0) return stats;

  const { bytes, probes } = buildCaptureModel(model, unique, hessian);
  const session = await ctx.sessions.create(bytes);
  const specs = set.samples.some((s) => s.kind === 'tokens') ? inputSpecs(model.inputs, new Set(model.initializerNames())) : [];
  const task = ctx.progress.start(options.label ?? 'calibrating', set.samples.length);
  try {
    const outputs = probes.flatMap((p) => (p.shape ? [p.value, p.shape] : [p.value]));
    for (const sample of set.samples) {
      throwIfAborted(ctx.signal);
      const out = await session.run(feedsOf(sample, specs, set.config), outputs);
      for (const p of probes) fold(stats.get(p.tensor) as ActivationStats, p, out);
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
    const prev = seen.get(t.tensor);
    if (prev && prev.features !== t.features) throw new BugError(`capture: ${t.tensor} has ${prev.features} features for ${prev.weight} but ${t.features} for ${t.weight}`);
    if (!prev) seen.set(t.tensor, t);
  }
  return [...seen.values()];
}

function feedsOf(sample: CalibrationSample, specs: ReturnType<typeof inputSpecs>, config?: Record<string, unknown>): Record<string, HostTensor> {
  if (sample.kind === 'feeds') return { ...sample.feeds };
  const T = sample.ids.length;
  return buildFeeds(specs, { batch: 1, length: T, inputs: sample.ids, targets: sample.ids }, config);
}

function fold(stats: ActivationStats, p: Probe, out: Record<string, HostTensor>): void {
  const value = out[p.value];
  if (!(value?.data instanceof Float32Array)) throw new BugError(`capture: ${p.value} came back as ${value?.type}`);
  if (p.shape) {
    const rows = Number((out[p.shape].data as BigInt64Array)[0]);
    addWindow(stats, value.data, rows);
  } else {
    addSquares(stats, value.data, value.dims[0]);
  }
}

/** The pruned copy with probes as its only outputs, serialized for onnxruntime. */
export function buildCaptureModel(model: OnnxModel, targets: readonly CaptureTarget[], hessian: boolean): { bytes: Uint8Array; probes: Probe[] } {
  const graph = model.proto.graph as onnx.IGraphProto;
  const taken = takenNames(graph);
  const fresh = (base: string) => {
    let name = `${PREFIX}_${base}`;
    for (let i = 1; taken.has(name); i++) name = `${PREFIX}_${base}_${i}`;
    taken.add(name);
    return name;
  };
  const known = new Set([...(graph.input ?? []).map((v) => v.name ?? ''), ...model.initializerNames(), ...model.nodes.flatMap((n) => n.output ?? [])]);
  const nodes: NodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  const probes: Probe[] = [];
  targets.forEach((t, i) => {
    if (!known.has(t.tensor)) throw new BugError(`capture: no tensor ${t.tensor} in the graph`);
    const f32 = fresh(`${i}_f32`);
    const rowsK = fresh(`${i}_rows`);
    const shapeConst = fresh(`${i}_shape_const`);
    initializers.push(makeTensor(shapeConst, DataType.INT64, [2], BigInt64Array.from([-1n, BigInt(t.features)])));
    // Cast: a float16 model's X^T X would overflow in its own type.
    nodes.push({ opType: 'Cast', domain: '', name: fresh(`${i}_Cast`), input: [t.tensor], output: [f32], attribute: [{ name: 'to', type: INT, i: DataType.FLOAT }] });
    nodes.push({ opType: 'Reshape', domain: '', name: fresh(`${i}_Reshape`), input: [f32, shapeConst], output: [rowsK] });
    if (!hessian) {
      probes.push({ tensor: t.tensor, features: t.features, value: rowsK });
      return;
    }
    const xt = fresh(`${i}_xt`);
    const xtx = fresh(`${i}_xtx`);
    const shape = fresh(`${i}_dims`);
    nodes.push({ opType: 'Transpose', domain: '', name: fresh(`${i}_Transpose`), input: [rowsK], output: [xt], attribute: [{ name: 'perm', type: INTS, ints: [1, 0] }] });
    nodes.push({ opType: 'MatMul', domain: '', name: fresh(`${i}_MatMul`), input: [xt, rowsK], output: [xtx] });
    nodes.push({ opType: 'Shape', domain: '', name: fresh(`${i}_Shape`), input: [rowsK], output: [shape] });
    probes.push({ tensor: t.tensor, features: t.features, value: xtx, shape });
  });
  const needed = neededNodes(model.nodes, targets.map((t) => t.tensor));
  const outputs = probes.flatMap((p) => (p.shape ? [p.value, p.shape] : [p.value])).map((name) => pb.ValueInfoProto.create({ name }));
  // Initializers only the dropped nodes read are left out too (onnxruntime warns about each unused one);
  // so are their graph-input entries, which IR < 4 models carry for every initializer.
  const read = new Set([...needed, ...nodes].flatMap((n) => n.input ?? []));
  const dropped = new Set(hasSubgraphs(model.nodes) ? [] : (graph.initializer ?? []).filter((t) => !read.has(t.name ?? '')).map((t) => t.name ?? ''));
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
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) names.add(v.name ?? '');
  for (const t of graph.initializer ?? []) names.add(t.name ?? '');
  for (const n of graph.node ?? []) {
    names.add(n.name ?? '');
    for (const x of [...(n.input ?? []), ...(n.output ?? [])]) names.add(x);
  }
  return names;
}
