/**
 * --algo channel: remove a --ratio of the output channels from every selected Conv/ConvTranspose
 * (coupled producers of a skip Add lose the same channels), chosen by the lowest L1 filter norm (summed
 * over coupled producers) or, with calibration data, on data with the next layers refit (recover.ts),
 * together with everything that reads those channels (graph.ts): the next Conv's input
 * channels, BatchNormalization and depthwise Conv parameters, per-channel constants, the Gemm after
 * a global pool. The model gets really smaller: fewer parameters, fewer FLOPs, a smaller file.
 *
 * All decisions are taken before the graph is edited; an unresolvable dependency refuses with the
 * node's name. The result is loaded in onnxruntime and its output shapes compared before returning.
 */
import {
  ErrorCodes,
  groupSkips,
  skipSummaryLines,
  throwIfAborted,
  UserError,
  rewriteTensors,
  skippedTensorRow,
  type NodeProto,
  type OnnxModel,
  type RunContext,
  type SkipItem,
} from '@mc-kit/core';
import picomatch from 'picomatch';
import type { PruneOptions } from '../options.js';
import type { PruneTensorReport } from '../report.js';
import { analyzeChannels, attrInt, isDepthwise, rootOf, type ChannelGraph } from './graph.js';
import { dropAlong, l1PerSlice, lowestChannels } from './math.js';
import { probeShapes, verifyRuns } from './probe.js';
import { qualityRisk, recoveryNotes, Recovery, SELECTION, type GroupPlan } from './recover.js';

interface Slice {
  /** axis -> indices removed along it (a Conv may lose outputs and inputs) */
  readonly axes: Map<number, Set<number>>;
  /** the node whose MACs this weight drives (for FLOPs); absent for biases and norm parameters */
  node?: NodeProto;
  /** the weight's output axis when it loses output channels */
  outputAxis?: number;
}

const BINARY_OR_PRELU = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'PRelu']);
const label = (n: NodeProto) => n.name || `${n.opType} -> ${n.output?.[0]}`;

function selected(weight: string, node: NodeProto, opts: PruneOptions, elements: number): string | undefined {
  const names = [weight, node.name ?? ''].filter(Boolean);
  const hit = (globs: readonly string[]) => globs.find((g) => names.some((n) => picomatch(g, { dot: true })(n)));
  const ex = hit(opts.exclude);
  if (ex) return `excluded by --exclude ${ex}`;
  if (opts.include.length && !hit(opts.include)) return `not matched by --include ${opts.include.join(',')}`;
  if (elements < opts.minSize) return `fewer than --min-size ${opts.minSize} elements`;
  return undefined;
}

/** The kept Convs' weights, for core's per-reason summary. */
function keptItems(
  model: OnnxModel,
  g: ChannelGraph,
  kept: ReadonlyMap<number, { reason: string; cause: string }>,
): SkipItem[] {
  return [...kept].map(([i, k]) => ({
    name: g.producers[i].weight,
    elements: model.getInitializer(g.producers[i].weight)?.elementCount ?? 0,
    ...k,
  }));
}

/** Per coupled group: its members, and why it is kept, or how many of its channels go. */
function planGroups(model: OnnxModel, g: ChannelGraph, opts: PruneOptions) {
  const groups = new Map<number, number[]>();
  g.producers.forEach((_, i) => {
    const r = rootOf(g.parent, i);
    groups.set(r, [...(groups.get(r) ?? []), i]);
  });
  const prunable: GroupPlan[] = [];
  const kept = new Map<number, { reason: string; cause: string }>(); // producer -> its reason, and the one its group is summed under
  for (const members of groups.values()) {
    const names = members.map((m) => g.producers[m].weight).join(', ');
    const why =
      members.map((m) => g.blocked.get(m)).find(Boolean) ??
      members
        .map((m) =>
          selected(
            g.producers[m].weight,
            g.producers[m].node,
            opts,
            model.getInitializer(g.producers[m].weight)!.elementCount,
          ),
        )
        .find(Boolean);
    if (why) {
      for (const m of members)
        kept.set(m, { reason: members.length > 1 ? `${why} (coupled with ${names})` : why, cause: why });
      continue;
    }
    const stuck = members.find((m) => g.unresolved.has(m));
    if (stuck !== undefined) {
      const node = g.unresolved.get(stuck)!;
      throw new UserError(
        ErrorCodes.UNSUPPORTED,
        `--algo channel: the output channels of ${label(g.producers[stuck].node)} reach ${node.opType} node ${label(node)}, which mc cannot prune through`,
        {
          hint: `leave that Conv whole with --exclude "${g.producers[stuck].weight}"`,
        },
      );
    }
    const C = g.producers[members[0]].channels;
    const count = Math.floor(opts.ratio * C + 1e-9);
    if (count === 0) {
      for (const m of members)
        kept.set(m, {
          reason: `${C} channels: --ratio ${opts.ratio} removes none`,
          cause: `too few channels for --ratio ${opts.ratio} to remove one`,
        });
      continue;
    }
    prunable.push({ members, channels: C, count: Math.min(count, C - 1) });
  }
  return { prunable, kept };
}

/** Today's choice: the lowest L1 filter norms, summed over coupled producers. */
function l1Choice(model: OnnxModel, g: ChannelGraph, group: GroupPlan): number[] {
  const score = new Float64Array(group.channels);
  for (const m of group.members) {
    const p = g.producers[m];
    const w = model.getInitializer(p.weight)!;
    l1PerSlice(w.readFloat32(), w.dims, p.axis).forEach((v, c) => (score[c] += v));
  }
  return lowestChannels(score, group.count);
}

/** What --recover means here: obs or refit need calibration data; auto takes obs when there is some. */
function recoverMode(opts: PruneOptions, ctx: RunContext): 'obs' | 'refit' | 'none' {
  if (opts.recover === 'auto') return ctx.calibration ? 'obs' : 'none';
  if (opts.recover !== 'none' && !ctx.calibration) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--recover ${opts.recover} needs calibration data`, {
      hint: 'pass --calib-dataset (images the model takes, e.g. ../shared/data/digits-seg-calib) and optionally --calib-samples; --recover none prunes by L1 norm without repair',
    });
  }
  return opts.recover;
}

/** Every initializer slice implied by the removed channels, and the depthwise groups to shrink. */
function planSlices(model: OnnxModel, g: ChannelGraph, removed: Map<number, number[]>) {
  const slices = new Map<string, Slice>();
  const groups = new Map<NodeProto, number>();
  const add = (
    init: string | undefined,
    axis: number,
    positions: Iterable<number>,
    role: 'output' | 'input' | 'param',
    node?: NodeProto,
  ) => {
    if (!init) return;
    const entry = slices.get(init) ?? { axes: new Map<number, Set<number>>() };
    const set = entry.axes.get(axis) ?? new Set<number>();
    for (const p of positions) set.add(p);
    entry.axes.set(axis, set);
    if (role !== 'param') entry.node = node;
    if (role === 'output') entry.outputAxis = axis;
    slices.set(init, entry);
  };
  for (const [i, drop] of removed) {
    const p = g.producers[i];
    add(p.weight, p.axis, drop, 'output', p.node);
    add(p.bias, 0, drop, 'param');
  }
  for (const [tensor, sources] of g.sources) {
    const positions = new Set<number>();
    for (const s of sources) for (const c of removed.get(s.producer) ?? []) positions.add(s.offset + c);
    if (positions.size === 0) continue;
    const C = g.channels.get(tensor);
    for (const { node, inputIndex } of model.consumers(tensor)) {
      const op = node.opType ?? '';
      const ins = node.input ?? [];
      if (inputIndex !== 0 && !BINARY_OR_PRELU.has(op)) continue;
      if (op === 'Conv' && isDepthwise(model, node)) {
        add(ins[1], 0, positions, 'output', node);
        add(ins[2], 0, positions, 'param');
        groups.set(node, attrInt(node, 'group', 1) - positions.size);
      } else if (op === 'Conv' && attrInt(node, 'group', 1) === 1) add(ins[1], 1, positions, 'input', node);
      else if (op === 'ConvTranspose') add(ins[1], 0, positions, 'input', node);
      else if (op === 'BatchNormalization') for (const k of [1, 2, 3, 4]) add(ins[k], 0, positions, 'param');
      else if (op === 'InstanceNormalization') for (const k of [1, 2]) add(ins[k], 0, positions, 'param');
      else if (op === 'Gemm') add(ins[1], attrInt(node, 'transB', 0) ? 1 : 0, positions, 'input', node);
      else if (op === 'MatMul') add(ins[1], 0, positions, 'input', node);
      else if (BINARY_OR_PRELU.has(op)) {
        // elementwise with per-channel constants (PRelu slope, Add/Mul by a [C,1,1] tensor)
        ins.forEach((name, k) => {
          const init = k === inputIndex ? undefined : model.getInitializer(name);
          if (!init || init.elementCount <= 1) return;
          const axis = init.dims.findIndex((d, a) => d === C && init.dims.slice(a + 1).every((x) => x === 1));
          if (axis < 0)
            throw new UserError(
              ErrorCodes.UNSUPPORTED,
              `--algo channel: ${op} node ${label(node)} reads ${name} ${JSON.stringify(init.dims)}, not a per-channel constant`,
              { hint: 'exclude the Convs that feed it with --exclude' },
            );
          add(name, axis, positions, 'param');
        });
      }
    }
  }
  return { slices, groups };
}

/** MAC positions of a weight node: output pixels of a Conv, input pixels of a ConvTranspose, 1 for Gemm/MatMul rows per sample. */
function positionsOf(
  node: NodeProto | undefined,
  shapes: Map<string, readonly number[]> | undefined,
): number | undefined {
  if (!node || !shapes) return undefined;
  const op = node.opType;
  const t = op === 'ConvTranspose' ? node.input?.[0] : op === 'Conv' ? node.output?.[0] : undefined;
  if (t === undefined) return 1;
  const d = shapes.get(t);
  return d ? d.slice(2).reduce((a, b) => a * b, 1) : undefined;
}

const isConv = (n: NodeProto) => n.opType === 'Conv' || n.opType === 'ConvTranspose';

/** Whether a Conv sits in an If/Loop/Scan body under `nodes`. */
function convInBodies(nodes: readonly NodeProto[]): boolean {
  return nodes.some((n) =>
    (n.attribute ?? []).some((a) =>
      [...(a.g ? [a.g] : []), ...(a.graphs ?? [])].some(
        (g) => (g.node ?? []).some(isConv) || convInBodies(g.node ?? []),
      ),
    ),
  );
}

/** Why no Conv of the main graph is one mc can prune, counted per reason (the refusal's hint). */
function whyNoProducer(model: OnnxModel): string {
  const reasons = new Map<string, number>();
  for (const n of model.nodes.filter(isConv)) {
    const why =
      (n.domain ?? '') !== '' && n.domain !== 'ai.onnx'
        ? `in domain ${n.domain}`
        : !model.getInitializer(n.input?.[1] ?? '')
          ? 'weight computed at run time, not stored in the model'
          : attrInt(n, 'group', 1) !== 1
            ? 'grouped or depthwise (group > 1): mc prunes the Conv before them, not their own channels'
            : 'not reached';
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  return [...reasons].map(([why, n]) => `${n} Conv${n === 1 ? '' : 's'}: ${why}`).join('; ');
}

/** Channel pruning needs a Conv outside control-flow bodies. */
function refuseWithoutConvs(model: OnnxModel): void {
  if (model.nodes.some(isConv)) return;
  throw convInBodies(model.nodes)
    ? new UserError(
        ErrorCodes.NOTHING_TO_COMPRESS,
        '--algo channel: every Conv of the model is inside an If/Loop/Scan body, which channel pruning does not follow',
        { hint: 'use --algo magnitude, which prunes weights wherever they are' },
      )
    : new UserError(ErrorCodes.NOTHING_TO_COMPRESS, '--algo channel: the model has no Conv', {
        hint: 'channel pruning is for conv nets; use --algo magnitude|wanda|sparsegpt for MatMul weights',
      });
}

function nothingPrunable(
  model: OnnxModel,
  g: ChannelGraph,
  kept: ReadonlyMap<number, { reason: string; cause: string }>,
): UserError {
  const why = groupSkips(keptItems(model, g, kept)).map(
    (k) => `${k.tensors} Conv${k.tensors === 1 ? '' : 's'}: ${k.cause}`,
  );
  return new UserError(
    ErrorCodes.NOTHING_TO_COMPRESS,
    `--algo channel: no Conv can lose channels (${g.producers.length} Convs kept)`,
    { hint: why.length ? why.join('; ') : whyNoProducer(model) },
  );
}

/** The tensors whose shapes the FLOPs count and the final check need: the sliced nodes' inputs and outputs, and the model's outputs. */
function watchedTensors(model: OnnxModel, slices: ReadonlyMap<string, Slice>): string[] {
  return [
    ...new Set(
      [...slices.values()]
        .flatMap((s) => (s.node ? [s.node.input?.[0] ?? '', s.node.output?.[0] ?? ''] : []))
        .concat(model.outputs.map((o) => o.name ?? '')),
    ),
  ].filter(Boolean);
}

/** Cut every planned slice out of its weight; the report rows (with the refit's errors) and FLOPs removed. */
function sliceWeights(
  model: OnnxModel,
  slices: ReadonlyMap<string, Slice>,
  shapes: Awaited<ReturnType<typeof probeShapes>>,
  errors: readonly { weight: string; before: number; after: number }[],
): { tensors: PruneTensorReport[]; flops: number } {
  const byWeight = new Map(errors.map((e) => [e.weight, e]));
  const tensors: PruneTensorReport[] = [];
  let flops = 0;
  for (const [name, s] of slices) {
    const init = model.getInitializer(name)!;
    let data = init.readFloat32();
    let dims = [...init.dims];
    for (const [axis, remove] of s.axes) ({ data, dims } = dropAlong(data, dims, axis, remove));
    const removedElements = init.elementCount - data.length;
    const pos = positionsOf(s.node, shapes);
    const f = pos === undefined ? undefined : 2 * removedElements * pos;
    flops += f ?? 0;
    model.setInitializer(name, init.dataType, dims, data); // float32 values; float16/bfloat16 weights are rounded on write
    const bytesAfter = model.getInitializer(name)!.byteLength;
    const row: PruneTensorReport = {
      name,
      action: s.outputAxis !== undefined ? 'channel-out' : s.node ? 'channel-in' : 'channel-param',
      shape: dims,
      elements: init.elementCount,
      bytesBefore: init.byteLength,
      bytesAfter,
      bitsPerWeight: (8 * bytesAfter) / init.elementCount,
      channels: s.outputAxis !== undefined ? { before: init.dims[s.outputAxis], after: dims[s.outputAxis] } : undefined,
      paramsRemoved: removedElements,
      flopsRemoved: f,
    };
    const e = byWeight.get(name);
    tensors.push(e ? { ...row, outputErrorBefore: e.before, outputError: e.after } : row);
  }
  return { tensors, flops };
}

/** The first note: how many Convs lost channels, parameters and FLOPs before and after. */
function channelSummary(
  r: { removed: number; paramsBefore: number; paramsAfter: number; flops: number; shapes: unknown },
  convs: number,
  mode: keyof typeof SELECTION,
  opts: PruneOptions,
): string {
  return (
    `channel pruning (${SELECTION[mode]}, --ratio ${opts.ratio}): ${r.removed} of ${convs} Convs lose channels; ${r.paramsBefore} -> ${r.paramsAfter} parameters (${(r.paramsBefore / r.paramsAfter).toFixed(3)}x fewer)` +
    (r.shapes
      ? `, ${r.flops} FLOPs per sample removed from weight layers (2 x multiply-accumulates)`
      : '; FLOPs not counted (an input has symbolic dimensions beyond the batch)')
  );
}

export async function pruneChannels(
  model: OnnxModel,
  opts: PruneOptions,
  ctx: RunContext,
): Promise<{ tensors: PruneTensorReport[]; notes: string[]; qualityRisk?: string }> {
  refuseWithoutConvs(model);
  const mode = recoverMode(opts, ctx);
  const g = analyzeChannels(model);
  const { prunable, kept } = planGroups(model, g, opts);
  if (prunable.length === 0) throw nothingPrunable(model, g, kept);
  // Statistics first (their own progress line), then the choice and the refit, then the surgery.
  const recovery = mode === 'none' ? undefined : await Recovery.capture(model, g, prunable, opts.damp, ctx);
  const step = {
    label: 'prune channel',
    done: (r: { removed: number; paramsBefore: number; paramsAfter: number }) =>
      `prune channel: ${r.removed} Convs, ${r.paramsBefore - r.paramsAfter} parameters removed`,
  };
  const r = await rewriteTensors(ctx, step, async () => {
    const removed = new Map<number, number[]>(); // producer -> removed output channels
    for (const group of prunable) {
      const drop = (mode === 'obs' ? recovery?.choose(group) : undefined) ?? l1Choice(model, g, group);
      for (const m of group.members) removed.set(m, drop);
    }
    const { slices, groups } = planSlices(model, g, removed);
    throwIfAborted(ctx.signal);
    // The last decision taken; from here on the graph is edited (first the refit weights, then the slices).
    const errors = recovery?.refit(model, removed) ?? [];
    const shapes = await probeShapes(model, watchedTensors(model, slices), ctx);
    const paramsBefore = model.parameterCount();
    const { tensors, flops } = sliceWeights(model, slices, shapes, errors);
    for (const t of tensors)
      ctx.log.debug(
        `channel ${t.name}: ${JSON.stringify(t.shape)}, ${t.paramsRemoved} parameters${t.flopsRemoved === undefined ? '' : ` and ${t.flopsRemoved} FLOPs`} removed`,
      );
    for (const [node, group] of groups) node.attribute!.find((x) => x.name === 'group')!.i = group;
    // Shapes recorded for intermediate tensors are stale now; onnxruntime infers them again.
    if (model.proto.graph?.valueInfo) model.proto.graph.valueInfo = [];
    for (const [i, { reason }] of kept)
      tensors.push(skippedTensorRow(model.getInitializer(g.producers[i].weight)!, reason));
    await verifyRuns(model, shapes, ctx);
    return { tensors, flops, shapes, errors, paramsBefore, paramsAfter: model.parameterCount(), removed: removed.size };
  });
  const notes = [
    channelSummary(r, g.producers.length, mode, opts),
    ...recoveryNotes(mode, opts.damp, recovery, r.errors, !!ctx.calibration),
    'the pruned model is smaller and dense: no zeros are kept, so it needs no sparse kernels; it loaded in onnxruntime with unchanged output shapes',
    ...skipSummaryLines(keptItems(model, g, kept), 'left with all their channels'),
  ];
  return { tensors: r.tensors, notes, ...(mode === 'none' ? { qualityRisk: qualityRisk(!!ctx.calibration) } : {}) };
}
