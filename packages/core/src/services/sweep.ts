/**
 * A sweep: one model compressed at several settings of its first method and every point evaluated
 * against the dense model, evaluated once. Split so that a point can run anywhere: planSweep checks
 * everything before any work, evaluateSweepDense gives the reference, runSweepPoint compresses and
 * evaluates exactly one point (writing its model only), summarizeSweep joins what the caller wrote
 * into the summary files. runSweep is the local loop over them; a queue runs the same steps on
 * workers. A SweepRequest is plain JSON data, so it travels to a worker as is.
 */
import { join, resolve } from 'node:path';
import type { RunContext } from '../contracts.js';
import { createCalibration } from '../calibration/source.js';
import { isUserError, UserError } from '../errors.js';
import { checkGates, figuresOf, parseGates, planGates, type GateOutcome } from '../gates.js';
import { buildReport } from '../report/join.js';
import { readResultInputs } from '../report/read.js';
import type { Report } from '../report/types.js';
import type { Registry } from '../registry.js';
import { writeResult, type CompressResult, type EvalResult } from '../results.js';
import { compressModel, planMethods, type MethodRequest } from './compress.js';
import { evaluateModel, planMetrics, type MetricRequest } from './eval.js';
import { checkProbeOptions, DEFAULT_PROBES } from './output-checks.js';
import { pointFolder, parseSweep } from './sweep-points.js';
import { openSweepOut } from './sweep-out.js';

export interface SweepRequest {
  /** the dense model: an .onnx file or a model folder */
  readonly model: string;
  /** the chain with each method's raw parameters; every point overrides the first method's */
  readonly methods: readonly MethodRequest[];
  /** `v1,v2` (the first method's declared sweep parameter), `NAME=v1,v2`, or a JSON recipe file */
  readonly sweep: string;
  readonly metric: MetricRequest;
  /** absent only for a metric that needs no data */
  readonly dataset?: string;
  readonly datasetType?: string;
  readonly limit?: number;
  readonly field?: string;
  readonly seed: number;
  /** --calib-dataset and its options: read once and shared by every point */
  readonly calibration?: {
    readonly dataset: string;
    readonly datasetType?: string;
    readonly samples?: number;
    readonly seqlen?: number;
  };
  readonly probes?: number;
  readonly probeDataset?: string;
  readonly probeDatasetType?: string;
  /** a new (or empty) folder: one model folder per point, then summary.json, summary.csv and report.html */
  readonly out: string;
  /** the folder the caller writes the JSON results to */
  readonly results: string;
  /** --gate expressions, checked at every point (.delta figures against the dense model) */
  readonly gates?: readonly string[];
}

export interface SweepPointPlan {
  /** 0-based position in the sweep */
  readonly index: number;
  /** e.g. "sparsity=0.5" */
  readonly label: string;
  /** the point's model folder under request.out, e.g. "02-sparsity-0.5" */
  readonly folder: string;
  /** the whole chain with this point's overrides applied to the first method */
  readonly methods: MethodRequest[];
}

export interface SweepRow {
  readonly point: string;
  readonly output: string;
  readonly bytes: number;
  readonly sizeRatio: number;
  readonly bitsPerWeight?: number;
  readonly fileBitsPerParameter?: number;
  readonly compressS: number;
  readonly metric: Record<string, number>;
  /** the point's figures as mc report names them (accuracy.top1, accuracy.delta against the dense point, size.ratio, ...) */
  readonly figures: Record<string, number>;
  readonly results: readonly string[];
  /** the --gate outcomes at this point */
  readonly gates?: readonly GateOutcome[];
}

/** One finished point: its plan, its results, and where the caller wrote them (compress, then eval). */
export interface SweepPointOutcome {
  readonly plan: SweepPointPlan;
  readonly compress: CompressResult;
  readonly eval: EvalResult;
  readonly paths: readonly string[];
}

/**
 * Writes the sweep's summary files into `dir` from the joined report: summary.json, summary.csv and
 * report.html, as the CLI renders them (the chart and table renderers live with the CLI, not core).
 */
export type SweepSummaryWriter = (report: Report, dir: string, title: string) => Promise<readonly string[]>;

/**
 * Every point's parameters, the metric's, the gates and the probe options checked before any work,
 * touching no file besides a recipe: a bad point fails the sweep before the first model is written.
 */
export function planSweep(registry: Registry, request: SweepRequest): SweepPointPlan[] {
  if (request.methods.length === 0) planMethods(registry, request.methods); // throws: no --method given
  const [compressor] = request.methods.map((m) => registry.compressor(m.id)); // an unknown id is said once, not per point
  const [first, ...rest] = request.methods;
  const points = parseSweep(request.sweep, { compressor, params: first.params });
  const plans = points.map((point, index) => ({
    index,
    label: point.label,
    folder: pointFolder(index, point.label),
    methods: [{ id: first.id, params: { ...first.params, ...point.overrides } }, ...rest],
  }));
  for (const plan of plans) {
    try {
      planMethods(registry, plan.methods);
    } catch (e) {
      throw isUserError(e) ? new UserError(e.code, `sweep point ${plan.label}: ${e.message}`, { hint: e.hint }) : e;
    }
  }
  const [{ metric }] = planMetrics(registry, { metrics: [request.metric], dataset: request.dataset });
  planGates(parseGates(request.gates ?? []), [metric], true); // the dense model is every point's baseline
  checkProbeOptions({ probes: request.probes ?? DEFAULT_PROBES, dataset: request.probeDataset });
  return plans;
}

/** The dense model's eval: the first row of the table and the reference of every delta and .delta gate. */
export async function evaluateSweepDense(
  registry: Registry,
  request: SweepRequest,
  ctx: RunContext,
): Promise<EvalResult> {
  return evaluateOnce(registry, request, request.model, ctx);
}

/**
 * Compress one point into `<out>/<point.folder>` and evaluate it. Writes the model only: the caller
 * writes the two results where it keeps them. With `dense`, the eval is already set against it (as
 * withDenseBaseline does); a remote worker that has no dense eval leaves that to whoever collects the
 * points. ctx.calibration, when set, is shared (runSweep reads the calibration data once); otherwise
 * request.calibration is read here.
 */
export async function runSweepPoint(
  registry: Registry,
  request: SweepRequest,
  point: SweepPointPlan,
  ctx: RunContext,
  dense?: EvalResult,
): Promise<{ compress: CompressResult; eval: EvalResult }> {
  const out = join(resolve(request.out), point.folder);
  const calibration = ctx.calibration ?? calibrationOf(registry, request, ctx);
  const compress = await compressModel(
    registry,
    {
      model: request.model,
      out,
      seed: request.seed,
      probes: request.probes,
      probeDataset: request.probeDataset,
      probeDatasetType: request.probeDatasetType,
      probesFromCalibration: true,
      methods: point.methods,
    },
    { ...ctx, calibration },
  );
  const measured = await evaluateOnce(registry, request, out, ctx);
  return { compress, eval: dense ? withDenseBaseline(measured, dense) : measured };
}

/** A point's eval as its result records it: the dense model as its baseline, the dense values beside its own (for .delta gates). */
export function withDenseBaseline(measured: EvalResult, dense: EvalResult): EvalResult {
  return {
    ...measured,
    baseline: dense.model,
    metric: { ...measured.metric, baselineValues: dense.metric.values },
  };
}

/**
 * Join the dense eval and the points' results (read back from where the caller wrote them, as mc
 * report would) into the report: the dense row first, then the points in sweep order, whatever order
 * they finished in. Writes the summary files into request.out and gives one row per point, in sweep
 * order, with its figures and gate outcomes.
 */
export async function summarizeSweep(
  request: SweepRequest,
  dense: { readonly result: EvalResult; readonly path: string },
  points: readonly SweepPointOutcome[],
  writeSummary: SweepSummaryWriter,
): Promise<{ rows: SweepRow[]; report: Report }> {
  const gates = parseGates(request.gates ?? []);
  const joined = buildReport(await readResultInputs([dense.path, ...points.flatMap((p) => p.paths)]), {
    seed: request.seed,
  });
  const ordered = [...points].sort((a, b) => a.plan.index - b.plan.index); // remote points finish in any order
  const report = inSweepOrder(joined, ordered);
  const out = resolve(request.out);
  await writeSummary(report, out, `mc sweep: ${request.model}`);
  const rows = ordered.map(({ plan, compress: c, eval: e, paths }) => ({
    point: plan.label,
    output: join(out, plan.folder),
    bytes: c.output.bytes,
    sizeRatio: c.sizeRatio,
    bitsPerWeight: c.bitsPerWeight,
    fileBitsPerParameter: c.fileBitsPerParameter,
    compressS: c.timings.compressS,
    metric: Object.fromEntries(Object.entries(e.metric.values).map(([k, v]) => [k, v.value])),
    results: paths,
    ...(gates.length ? { gates: checkGates(gates, figuresOf([e]), `point ${plan.label}`) } : {}),
    figures: report.rows.find((r) => r.model.sha256 === c.output.sha256)?.figures ?? {},
  }));
  return { rows, report };
}

/**
 * The local sweep: plan, claim --out, the dense eval, every point in turn (each result written as
 * soon as it exists), then the summary. A failure before the first point leaves no empty --out;
 * finished points stay, each whole.
 */
export async function runSweep(
  registry: Registry,
  request: SweepRequest,
  ctx: RunContext,
  writeSummary: SweepSummaryWriter,
): Promise<{ rows: SweepRow[]; report: Report }> {
  const points = planSweep(registry, request);
  const out = await openSweepOut(request, request.dataset);
  try {
    const pointCtx = { ...ctx, calibration: calibrationOf(registry, request, ctx) }; // read and tokenized once
    await out.create();
    ctx.log.info('sweep: the dense model');
    const dense = await evaluateSweepDense(registry, request, ctx);
    const densePath = await writeResult(request.results, dense);
    const done: SweepPointOutcome[] = [];
    for (const plan of points) {
      ctx.log.info(`sweep ${plan.index + 1}/${points.length}: ${plan.label}`);
      const point = await runSweepPoint(registry, request, plan, pointCtx, dense);
      const paths = [
        await writeResult(request.results, point.compress),
        await writeResult(request.results, point.eval),
      ];
      done.push({ plan, ...point, paths });
    }
    return await summarizeSweep(request, { result: dense, path: densePath }, done, writeSummary);
  } catch (e) {
    out.removeIfEmpty();
    throw e;
  } finally {
    await out.release();
  }
}

async function evaluateOnce(
  registry: Registry,
  request: SweepRequest,
  model: string,
  ctx: RunContext,
): Promise<EvalResult> {
  const [result] = await evaluateModel(
    registry,
    {
      model,
      metrics: [request.metric],
      dataset: request.dataset,
      datasetType: request.datasetType,
      limit: request.limit,
      field: request.field,
      seed: request.seed,
    },
    ctx,
  );
  return result;
}

function calibrationOf(registry: Registry, request: SweepRequest, ctx: RunContext) {
  return request.calibration
    ? createCalibration({ ...request.calibration, model: request.model, registry }, ctx)
    : undefined;
}

/** Dense rows first, then the points in the order swept (the report's own order is by size), then anything else. */
function inSweepOrder(report: Report, points: readonly SweepPointOutcome[]): Report {
  const order = new Map(points.map((p, i) => [p.compress.output.sha256, i]));
  const rank = (r: Report['rows'][number]) => (r.dense ? -1 : (order.get(r.model.sha256) ?? points.length));
  return { ...report, rows: [...report.rows].sort((a, b) => rank(a) - rank(b)) };
}
