/**
 * Unstructured and N:M pruning of an OnnxModel in place (magnitude, Wanda, SparseGPT).
 *
 * With calibration data (required by wanda/sparsegpt, optional for magnitude) the weights are pruned
 * stage by stage (core planStages): each stage's activations are captured on the model as it is now,
 * so every layer is calibrated on the output of the layers already pruned before it, as the
 * reference scripts do; only the current stage's X^T X sums are held in memory. Without calibration
 * (magnitude) every weight is pruned in one pass.
 */
import {
  captureActivations,
  describeCalibration,
  ErrorCodes,
  findWeightTargets,
  mergeStats,
  nothingQualifies,
  outputErrorSums,
  planStages,
  relativeError,
  skipSummaryLines,
  statsOf,
  throwIfAborted,
  UserError,
  initializerOrder,
  rewriteTensors,
  skippedTensorRow,
  type TensorLoop,
  type ActivationStats,
  type CalibrationSet,
  type CaptureResult,
  type CaptureTarget,
  type OnnxModel,
  type RunContext,
} from '@mc-kit/core';
import type { PruneOptions } from '../options.js';
import { fmtPct, type PruneTensorReport } from '../report.js';
import { NotPositiveDefinite } from '../sparsegpt/linalg.js';
import { sparseGpt, type SparseGptResult } from '../sparsegpt/math.js';
import { chooseTargets, type PruneTarget } from '../targets.js';
import { applyMask, groupedWandaScores, layerThresholdMask, magnitudeScores, nmMask, rowMask } from './math.js';
import { fromRows, toRows, type RowsView } from './views.js';

export interface UnstructuredResult {
  readonly tensors: PruneTensorReport[];
  readonly notes: string[];
}

const PRUNE_SCOPE_HINT =
  'unstructured pruning takes float weights read by MatMul, Gemm and Conv nodes; this model has none it can take';

/** Input features K of a target (the view's columns). */
const inputsOf = (t: PruneTarget) => t.candidate.init.elementCount / t.candidate.init.dims[t.candidate.axis];

function checkTargets(targets: readonly PruneTarget[], opts: PruneOptions): void {
  if (!opts.nm) return;
  const bad = targets.find((t) => inputsOf(t) % (opts.nm as { m: number }).m !== 0);
  if (bad) {
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `--pattern ${opts.nm.n}:${opts.nm.m}: ${bad.candidate.init.name} has ${inputsOf(bad)} inputs per output, not a multiple of ${opts.nm.m}`,
      {
        hint: `leave it dense with --exclude "${bad.candidate.init.name}" (mc refuses rather than prune a partial run)`,
      },
    );
  }
}

/** SparseGPT on rows [from, from + count) of the view with their group's H. */
function sparseGptRows(
  name: string,
  data: Float32Array,
  from: number,
  count: number,
  cols: number,
  H: Float64Array,
  opts: PruneOptions,
): SparseGptResult {
  try {
    return sparseGpt(data.slice(from * cols, (from + count) * cols), count, cols, H, {
      sparsity: opts.sparsity,
      nm: opts.nm,
      blockSize: opts.columnBlock,
      damp: opts.damp,
    });
  } catch (e) {
    if (!(e instanceof NotPositiveDefinite)) throw e;
    throw new UserError(
      ErrorCodes.BAD_DATASET,
      `sparsegpt: the Hessian of ${name} is not positive definite after damping`,
      { hint: 'raise --damp (e.g. 0.1) or use more calibration data (--calib-samples)' },
    );
  }
}

/** SparseGPT over the view's rows, each group of rows with its own H; the largest damping any group needed. */
function sparseGptView(
  name: string,
  view: RowsView,
  stats: readonly ActivationStats[] | undefined,
  opts: PruneOptions,
) {
  if (!stats?.every((s) => s.xtx))
    throw new UserError(ErrorCodes.BAD_PARAM, `sparsegpt: no activation statistics for ${name}`);
  const { rows, cols } = view;
  const per = rows / stats.length;
  const pruned = new Float32Array(rows * cols);
  let dampUsed = opts.damp;
  stats.forEach((st, g) => {
    const H = (st.xtx as Float64Array).map((v) => (v * 2) / Math.max(1, st.rows));
    const r = sparseGptRows(name, view.data, g * per, per, cols, H, opts);
    pruned.set(r.weight, g * per * cols);
    dampUsed = Math.max(dampUsed, r.dampUsed);
  });
  return { pruned, dampUsed };
}

/** Magnitude or Wanda scores, masked by N:M, per row or per layer. */
function maskedView(view: RowsView, stats: readonly ActivationStats[] | undefined, opts: PruneOptions): Float32Array {
  const { rows, cols } = view;
  const scores =
    opts.algo === 'wanda' && stats
      ? groupedWandaScores(
          view.data,
          rows,
          cols,
          stats.map((st) => st.sumSquares.map(Math.sqrt)),
        )
      : magnitudeScores(view.data);
  const mask = opts.nm
    ? nmMask(scores, rows, cols, opts.nm.n, opts.nm.m)
    : opts.granularity === 'row'
      ? rowMask(scores, rows, cols, opts.sparsity)
      : layerThresholdMask(scores, opts.sparsity);
  const pruned = Float32Array.from(view.data);
  applyMask(pruned, mask);
  return pruned;
}

/** ||XW'-XW|| / ||XW|| over the groups, when every group has X^T X. */
function viewOutputError(view: RowsView, pruned: Float32Array, stats: readonly ActivationStats[] | undefined) {
  if (!stats?.every((st) => st.xtx)) return undefined;
  const { rows, cols } = view;
  const per = rows / stats.length;
  return relativeError(
    stats.map((st, g) =>
      outputErrorSums(
        view.data.subarray(g * per * cols, (g + 1) * per * cols),
        pruned.subarray(g * per * cols, (g + 1) * per * cols),
        per,
        cols,
        st.xtx as Float64Array,
      ),
    ),
  );
}

/**
 * Prune one weight (in memory) and write it back; returns its report. `stats` holds one
 * ActivationStats per group (one for MatMul/Gemm; a grouped Conv's rows split evenly among them).
 */
function pruneOne(
  model: OnnxModel,
  t: PruneTarget,
  opts: PruneOptions,
  stats: readonly ActivationStats[] | undefined,
): PruneTensorReport {
  const init = t.candidate.init;
  const view = toRows(init.readFloat32(), init.dims, t.candidate.axis);
  const bad = view.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new UserError(ErrorCodes.BAD_MODEL, `weight ${init.name} holds a non-finite value`, {
      hint: 'fix or re-export the model before compressing',
    });
  const { pruned, dampUsed } =
    opts.algo === 'sparsegpt'
      ? sparseGptView(init.name, view, stats, opts)
      : { pruned: maskedView(view, stats, opts), dampUsed: opts.damp };
  let zeros = 0;
  for (const v of pruned) if (v === 0) zeros++;
  const outputError = viewOutputError(view, pruned, stats);
  model.setInitializer(
    init.name,
    init.dataType,
    init.dims,
    fromRows({ ...view, data: pruned }, init.dims, t.candidate.axis),
  );
  return {
    name: init.name,
    action: `prune-${opts.algo}`,
    shape: [...init.dims],
    elements: init.elementCount,
    bytesBefore: init.byteLength,
    bytesAfter: init.byteLength,
    bitsPerWeight: (8 * init.byteLength) / init.elementCount,
    targetSparsity: opts.sparsity,
    sparsity: zeros / init.elementCount,
    outputError,
    storage: 'dense',
    ...(dampUsed !== opts.damp ? { dampUsed } : {}),
  };
}

/** The stage's targets by weight (a weight read by two nodes is pruned once, on both inputs' statistics). */
function byWeight(stage: readonly CaptureTarget[]): Map<string, CaptureTarget[]> {
  const out = new Map<string, CaptureTarget[]>();
  for (const t of stage) out.set(t.weight, [...(out.get(t.weight) ?? []), t]);
  return out;
}

/** Per group, the merged statistics of every reader. */
function groupStats(readers: readonly CaptureTarget[], stats: CaptureResult): ActivationStats[] {
  const parts = readers.map((t) => statsOf(stats, t));
  return parts[0].map((_, g) => parts.map((p) => p[g]).reduce((a, b) => mergeStats(a, b)));
}

/** What the step prunes, checked before any weight changes: targets, skips and calibration stages. */
function planPrune(model: OnnxModel, opts: PruneOptions, ctx: RunContext) {
  const dataAware = opts.algo === 'wanda' || opts.algo === 'sparsegpt';
  if (dataAware && !ctx.calibration) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--algo ${opts.algo} needs calibration data`, {
      hint: 'pass --calib-dataset (a text dataset, e.g. a .jsonl file, for a language model; an image dataset, e.g. a u8-images folder, for a vision model) and optionally --calib-samples; --algo magnitude needs none',
    });
  }
  const { targets, skipped } = chooseTargets(model, opts);
  if (targets.length === 0) throw nothingQualifies('prune', skipped, PRUNE_SCOPE_HINT);
  checkTargets(targets, opts);

  const byName = new Map(targets.map((t) => [t.candidate.init.name, t]));
  const capture = ctx.calibration ? findWeightTargets(model, byName.keys()) : [];
  const calibrated = new Set(capture.map((c) => c.weight));
  const stages: CaptureTarget[][] = capture.length ? planStages(model, capture) : [];
  const uncalibrated = targets.filter((t) => !calibrated.has(t.candidate.init.name));
  if (dataAware && uncalibrated.length > 0) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `--algo ${opts.algo}: ${uncalibrated[0].candidate.init.name} is not a MatMul, Gemm or Conv weight whose input can be captured`,
      { hint: `leave it out with --exclude "${uncalibrated[0].candidate.init.name}"` },
    );
  }
  return { targets, skipped, byName, capture, stages, uncalibrated };
}

type PrunePlan = ReturnType<typeof planPrune>;

/** Prune every target: the uncalibrated ones first, then stage by stage on fresh activations. */
async function pruneAll(model: OnnxModel, plan: PrunePlan, opts: PruneOptions, ctx: RunContext, loop: TensorLoop) {
  const { stages } = plan;
  const reports: PruneTensorReport[] = [];
  let peakHessianBytes = 0;
  // loaded once here: a dataset that does not fit the model fails before any weight changes
  const set: CalibrationSet | undefined = stages.length ? await ctx.calibration!.load() : undefined;
  const named = (t: PruneTarget) => `prune ${t.candidate.init.name}`;
  reports.push(...(await loop.each(plan.uncalibrated, named, (t) => pruneOne(model, t, opts, undefined))));
  for (const [s, stage] of stages.entries()) {
    throwIfAborted(ctx.signal);
    loop.update(`prune stage ${s + 1}/${stages.length}: calibrating`);
    const stats = await captureActivations(model, stage, set as CalibrationSet, ctx, {
      hessian: true,
      label: `calibrating stage ${s + 1}/${stages.length}`,
    });
    peakHessianBytes = Math.max(
      peakHessianBytes,
      [...stats.values()].reduce((n, st) => n + (st.xtx?.byteLength ?? 0), 0),
    );
    const done = await loop.each(
      byWeight(stage),
      ([weight]) => `prune ${weight}`,
      ([weight, readers]) => pruneOne(model, plan.byName.get(weight) as PruneTarget, opts, groupStats(readers, stats)),
    );
    reports.push(...done);
  }
  return { reports, set, peakHessianBytes };
}

function pruneNotes(
  plan: PrunePlan,
  pruned: Awaited<ReturnType<typeof pruneAll>>,
  total: number,
  zeros: number,
  opts: PruneOptions,
): string[] {
  const { reports } = pruned;
  const pattern = opts.nm
    ? `${opts.nm.n}:${opts.nm.m} (N pruned of every M inputs)`
    : `unstructured ${opts.sparsity} per ${opts.algo === 'sparsegpt' ? `${opts.columnBlock}-column block` : opts.granularity}`;
  const notes = [
    `${opts.algo} ${pattern}: ${reports.length} tensors, ${total} weights, ${((100 * zeros) / total).toFixed(2)}% zeros achieved (target ${(100 * opts.sparsity).toFixed(2)}%)`,
  ];
  if (plan.stages.length) {
    const info = (pruned.set as CalibrationSet).info;
    notes.push(
      `calibrated sequentially in ${plan.stages.length} stages on ${describeCalibration(info)}: each stage captured after the stages before it were pruned; at most ${(pruned.peakHessianBytes / 2 ** 20).toFixed(2)} MiB of X^T X held at once`,
    );
    if (plan.capture.some((c) => c.conv))
      notes.push(
        'Conv weights pruned along their inputs in im2col order (W as [Cout, Cin/group·kh·kw]; statistics over patches unfolded in onnxruntime, one set per group)',
      );
    const errs = reports.filter((r) => r.outputError !== undefined);
    const mean = errs.reduce((n, r) => n + (r.outputError ?? 0), 0) / Math.max(1, errs.length);
    notes.push(
      `layer output error ||XW'-XW||/||XW|| on the calibration data: mean ${mean.toFixed(4)}, max ${Math.max(...errs.map((r) => r.outputError ?? 0)).toFixed(4)}`,
    );
  }
  const grown = reports.filter((r) => r.dampUsed !== undefined);
  if (grown.length)
    notes.push(
      `damping raised for ${grown.map((r) => `${r.name} (${r.dampUsed})`).join(', ')}: H was not positive definite at --damp ${opts.damp}`,
    );
  notes.push(...skipSummaryLines(plan.skipped, 'left dense'));
  notes.push(
    'zeros are kept in dense tensors, so the file does not shrink by itself: --store sparse drops them where that is smaller; a following int4 step stores zeros as 4-bit codes like any weight (the same size as int4 alone)',
  );
  return notes;
}

const zerosOf = (reports: readonly PruneTensorReport[]) =>
  reports.reduce((n, r) => n + (r.sparsity ?? 0) * r.elements, 0);
const elementsOf = (reports: readonly PruneTensorReport[]) => reports.reduce((n, r) => n + r.elements, 0);

export async function pruneUnstructured(
  model: OnnxModel,
  opts: PruneOptions,
  ctx: RunContext,
): Promise<UnstructuredResult> {
  const plan = planPrune(model, opts, ctx);
  const step = {
    label: `prune ${opts.algo}`,
    total: plan.targets.length,
    done: ({ reports }: Awaited<ReturnType<typeof pruneAll>>) =>
      `prune ${opts.algo}: ${reports.length} tensors, ${((100 * zerosOf(reports)) / elementsOf(reports)).toFixed(2)}% zeros`,
  };
  const pruned = await rewriteTensors(ctx, step, (loop) => pruneAll(model, plan, opts, ctx, loop));
  const { reports } = pruned;
  for (const r of reports) {
    ctx.log.debug(
      `prune ${r.name}: ${fmtPct(r.sparsity ?? 0)} zeros (target ${fmtPct(r.targetSparsity ?? 0)})${r.outputError === undefined ? '' : `, layer output error ${r.outputError.toFixed(5)}`}`,
    );
  }
  const order = initializerOrder(model);
  const skippedRows = plan.skipped.map((s) =>
    skippedTensorRow({ name: s.name, dims: s.dims, elementCount: s.elements, byteLength: s.bytes }, s.reason),
  );
  const tensors: PruneTensorReport[] = order<PruneTensorReport>([...reports, ...skippedRows]);
  const notes = pruneNotes(plan, pruned, elementsOf(reports), zerosOf(reports), opts);
  return { tensors, notes };
}
