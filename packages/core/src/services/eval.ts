/**
 * eval: resolve the metrics (did-you-mean on typos), load the model (and the --baseline) once, find
 * one dataset provider that can open the ref and whose kind every data-taking metric scores, run the
 * metrics in the order given, and describe each run with digests: one EvalResult per metric, all
 * carrying the same `run` id.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  NO_DATASET,
  type Dataset,
  type DatasetKind,
  type DatasetKinds,
  type EvalShard,
  type DatasetProvider,
  type DatasetRef,
  type LoadedModel,
  type Metric,
  type MetricInputs,
  type MetricResult,
  type MetricValue,
  type RunContext,
} from '../contracts.js';
import { createCheckpointStore, type OpenStore } from '../checkpoint.js';
import { throwIfAborted } from '../context.js';
import { sha256File } from '../digest.js';
import { ErrorCodes, isUserError, UserError } from '../errors.js';
import { isHubRef, resolveHubRef } from '../hub/index.js';
import { loadModelRef } from '../model-ref.js';
import { parseParams, type Params } from '../params.js';
import { assertFileOrFolder } from '../safe-paths.js';
import type { Registry } from '../registry.js';
import { resultHeader, runProvenance, type EvalResult, type FileInfo } from '../results.js';
import { onnxruntimeVersion } from '../session/factory.js';
import { CORE_VERSION } from '../version.js';
import { pluginVersions } from './versions.js';

/** One metric of an eval and its raw (unparsed) parameters. */
export interface MetricRequest {
  readonly id: string;
  readonly params: Record<string, unknown>;
}

export interface EvalRequest {
  readonly model: string;
  /** run in this order, on one loaded model and one opened dataset */
  readonly metrics: readonly MetricRequest[];
  /** absent: only metrics that list the kind 'none' may run (they receive NO_DATASET) */
  readonly dataset?: string;
  /** force a provider id instead of detection */
  readonly datasetType?: string;
  readonly limit?: number;
  /** record field for jsonl/parquet text */
  readonly field?: string;
  readonly seed: number;
  /** --baseline: loaded once, handed to the metrics that take one (MetricInputs.baseline) */
  readonly baseline?: string;
  /**
   * ids of metrics that take no baseline but are also run on the baseline model, so that their
   * `.delta` figures exist (a --gate names one); their values on the baseline go to metric.baselineValues
   */
  readonly alsoOnBaseline?: readonly string[];
  /** the id the results share; a fresh one when absent */
  readonly run?: string;
  /**
   * --resume: the results folder; metrics record their progress under `<resume>/.cache/<key>/` and an
   * interrupted run with the same key continues from it (checkpoint.ts). The cache goes once the
   * metric's result is made. Absent: nothing is read or written.
   */
  readonly resume?: string;
  /** --shards: score only this shard of each metric's plan (planEvalShards checks the metrics can be merged, eval-shards.ts) */
  readonly shard?: EvalShard;
}

export interface PlannedMetric {
  readonly metric: Metric;
  readonly params: Params;
}

/** Resolve the metric and validate its parameters, touching no file (`mc sweep` checks before any work). */
export function planMetric(registry: Registry, metricId: string, params: Record<string, unknown>): PlannedMetric {
  const metric = registry.metric(metricId);
  return { metric, params: parseParams(metric.params, params, `--metric ${metric.id}`) };
}

/**
 * Every metric resolved and its parameters checked, and what the metrics need of --baseline and
 * --dataset checked, before any file is read.
 */
export function planMetrics(
  registry: Registry,
  request: Pick<EvalRequest, 'metrics' | 'baseline' | 'dataset' | 'alsoOnBaseline'>,
): PlannedMetric[] {
  if (request.metrics.length === 0)
    throw new UserError(ErrorCodes.BAD_PARAM, 'no --metric given', { hint: 'mc list --kind metric shows them' });
  const planned = request.metrics.map((m) => {
    try {
      return planMetric(registry, m.id, m.params);
    } catch (e) {
      // with several metrics, the value may have come from a flag meant for another one
      if (request.metrics.length < 2 || !isUserError(e) || e.code !== ErrorCodes.BAD_PARAM) throw e;
      throw new UserError(e.code, e.message, {
        hint: `${e.hint ? `${e.hint}; ` : ''}a flag several metrics take feeds each of them; --<metric>.<flag> sets it for one alone`,
      });
    }
  });
  const ids = planned.map((p) => p.metric.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice)
    throw new UserError(ErrorCodes.BAD_PARAM, `--metric ${twice} is given twice`, {
      hint: 'each metric runs once per eval; run mc eval again for other settings',
    });
  for (const { metric } of planned) {
    if (metric.baseline === 'required' && request.baseline === undefined) {
      throw new UserError(
        ErrorCodes.BAD_PARAM,
        `metric ${metric.id} compares against a reference model: --baseline is required`,
        { hint: `e.g. mc eval compressed/ --metric ${metric.id} --baseline dense/ --dataset ...` },
      );
    }
  }
  for (const id of request.alsoOnBaseline ?? []) {
    if (!ids.includes(id)) throw new UserError(ErrorCodes.BAD_PARAM, `metric ${id} is not among the --metric given`);
  }
  if (request.dataset === undefined) {
    const needing = planned.filter((p) => needsData(p.metric)).map((p) => p.metric.id);
    if (needing.length > 0)
      throw new UserError(
        ErrorCodes.BAD_PARAM,
        `--dataset is required by ${needing.map((id) => `--metric ${id}`).join(', ')}`,
        { hint: 'pass a dataset folder or file (mc list --kind dataset shows the layouts)' },
      );
  }
  return planned;
}

export async function evaluateModel(registry: Registry, request: EvalRequest, ctx: RunContext): Promise<EvalResult[]> {
  const t0 = performance.now();
  const planned = planMetrics(registry, request);
  const model = await loadModelRef(request.model, ctx);
  const baseline = request.baseline === undefined ? undefined : await loadModelRef(request.baseline, ctx); // a bad path fails before any scoring
  for (const { metric } of planned) {
    if (baseline && metric.baseline === undefined && !request.alsoOnBaseline?.includes(metric.id)) {
      ctx.log.warn(
        `metric ${metric.id} takes no baseline: --baseline is not used for it (a --gate on ${metric.id}.delta would also run it on the baseline)`,
      );
    }
  }
  const tOpen = performance.now();
  const opened =
    request.dataset === undefined
      ? undefined
      : await openDataset(registry, { ...request, dataset: request.dataset }, planned, ctx);
  const tOpened = performance.now();
  const run = request.run ?? ctx.invocation?.run ?? randomUUID();
  const baselineInfo: FileInfo | undefined = baseline && {
    ref: request.baseline,
    path: baseline.path,
    sha256: baseline.sha256,
    bytes: baseline.bytes,
  };
  const results: EvalResult[] = [];
  // --resume: a finished metric's cache stays until every metric is done, so that a run killed in a
  // later metric resumes the earlier ones from their caches too
  const caches: OpenStore[] = [];
  try {
    for (const { metric, params } of planned) {
      throwIfAborted(ctx.signal);
      const { data, evaluate } = bindDataset(metric, opened?.data, request.dataset);
      const inputs: MetricInputs = {
        ...(metric.baseline !== undefined && baseline ? { baseline } : {}),
        ...(request.shard ? { shard: request.shard } : {}),
      };
      const tRun = performance.now();
      const evaluateOn = (on: LoadedModel, given: MetricInputs, role: 'model' | 'baseline') =>
        request.resume === undefined
          ? evaluate(on, params, ctx, given)
          : resumable(
              request.resume,
              metric.id,
              () => resumeKey(registry, { metric, params }, on, role, given, data, request),
              (c) => evaluate(on, params, c, given),
              ctx,
              caches,
            );
      const result = await evaluateOn(model, inputs, 'model');
      const tDone = performance.now();
      let baselineValues: Record<string, MetricValue> | undefined;
      if (baseline && metric.baseline === undefined && request.alsoOnBaseline?.includes(metric.id)) {
        ctx.log.info(`${metric.id}: running on the baseline ${baseline.ref} too, for the .delta figures`);
        baselineValues = (await evaluateOn(baseline, {}, 'baseline')).values;
      }
      throwIfAborted(ctx.signal); // interrupted at the very end: no result
      const tEnd = performance.now();
      const provider = data === NO_DATASET ? undefined : opened?.provider;
      const metricResult: MetricResult & { params: Params; baselineValues?: Record<string, MetricValue> } = {
        ...result,
        params,
        ...(baselineValues ? { baselineValues } : {}),
      };
      results.push({
        ...resultHeader(),
        kind: 'eval',
        ...runProvenance(ctx),
        run,
        versions: {
          mc: CORE_VERSION,
          node: process.version,
          onnxruntime: onnxruntimeVersion(),
          plugins: {
            ...pluginVersions(registry, [metric.id], 'metric'),
            ...(provider ? pluginVersions(registry, [provider.id], 'dataset') : {}),
          },
        },
        model: { ref: request.model, path: model.path, sha256: model.sha256, bytes: model.bytes },
        ...(baselineInfo ? { baseline: baselineInfo } : {}),
        metric: metricResult,
        dataset: provider
          ? {
              ref: request.dataset ?? '',
              provider: provider.id,
              kind: data.kind,
              digest: data.digest,
              size: data.size,
              limit: request.limit,
            }
          : { ref: '', provider: NO_DATASET.provider, kind: NO_DATASET.kind, digest: NO_DATASET.digest, size: 0 },
        seed: request.seed,
        timings: {
          openS: (tOpened - tOpen) / 1000,
          evaluateS: (tDone - tRun) / 1000,
          ...(baselineValues ? { baselineS: (tEnd - tDone) / 1000 } : {}),
          totalS: (tEnd - (results.length === 0 ? t0 : tRun)) / 1000,
          samplesPerS: result.samples / ((tDone - tRun) / 1000),
        },
      });
    }
  } catch (e) {
    for (const store of caches.splice(0)) await store.close(false);
    throw e;
  }
  for (const store of caches) await store.close(true);
  return results;
}

/** Does the metric score this dataset's kind? The one check that narrows a Dataset to the type a metric declared. */
function scoresKind<K extends DatasetKind>(metric: Metric<K>, data: Dataset): data is DatasetKinds[K] {
  return metric.datasetKinds.some((k) => k === data.kind);
}

/** A metric that lists 'none' runs without --dataset (latency on graph-shaped inputs). */
const needsData = (metric: Metric): boolean => !scoresKind(metric, NO_DATASET);

/**
 * The dataset a metric receives, and its evaluate bound to it: the opened dataset when the metric
 * scores its kind, else NO_DATASET for a metric that lists 'none' (openDataset has already refused a
 * dataset that a data-taking metric does not score).
 */
function bindDataset<K extends DatasetKind>(metric: Metric<K>, opened: Dataset | undefined, ref: string | undefined) {
  const data = opened && scoresKind(metric, opened) ? opened : NO_DATASET;
  if (!scoresKind(metric, data)) throw wrongKind(ref ?? '', data.kind, metric.id, metric.datasetKinds);
  const evaluate = (on: LoadedModel, params: Params, ctx: RunContext, inputs: MetricInputs) =>
    metric.evaluate(on, data, params, ctx, inputs);
  return { data, evaluate };
}

/** What changes a metric's numbers, so a resumed run never takes the cache of other settings. */
async function resumeKey(
  registry: Registry,
  { metric, params }: PlannedMetric,
  on: LoadedModel,
  role: 'model' | 'baseline',
  inputs: MetricInputs,
  data: Dataset,
  request: EvalRequest,
): Promise<Record<string, unknown>> {
  return {
    format: 1,
    role, // a model given as its own baseline is two runs, each with its cache
    metric: metric.id,
    plugin: pluginVersions(registry, [metric.id], 'metric'),
    model: on.sha256,
    modelFiles: await sidecarDigests(on),
    baseline: inputs.baseline?.sha256,
    dataset: { digest: data.digest, kind: data.kind, limit: request.limit, field: request.field },
    params,
    seed: request.seed,
  };
}

/** Run one metric with a checkpoint store of its key, added to `caches` for the caller to close. */
async function resumable(
  resultsDir: string,
  metricId: string,
  key: () => Promise<Record<string, unknown>>,
  evaluate: (ctx: RunContext) => Promise<MetricResult>,
  ctx: RunContext,
  caches: OpenStore[],
): Promise<MetricResult> {
  const store = await createCheckpointStore(join(resultsDir, '.cache'), await key(), (part, records, dir) =>
    ctx.log.info(`${metricId}: resuming ${part} from ${records} records of an earlier run (${dir})`),
  );
  caches.push(store);
  return evaluate({ ...ctx, checkpoints: store });
}

/** The files beside a model that change what a metric computes (tokenizer, config), by digest. */
async function sidecarDigests(model: LoadedModel): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!model.dir) return out;
  for (const name of ['tokenizer.json', 'tokenizer_config.json', 'config.json', 'generation_config.json']) {
    const path = join(model.dir, name);
    if (existsSync(path)) out[name] = await sha256File(path);
  }
  return out;
}

interface OpenedDataset {
  readonly provider: DatasetProvider;
  readonly data: Dataset;
}

/** One provider for every metric: its kind must be one each data-taking metric scores. */
async function openDataset(
  registry: Registry,
  request: EvalRequest & { dataset: string },
  planned: readonly PlannedMetric[],
  ctx: RunContext,
): Promise<OpenedDataset> {
  const datasetPath = isHubRef(request.dataset)
    ? (await resolveHubRef(request.dataset, 'dataset', ctx)).dir
    : existsSync(resolve(request.dataset))
      ? resolve(request.dataset)
      : undefined;
  // a FIFO or a device would block or never end: regular files and folders only
  if (datasetPath) assertFileOrFolder(datasetPath, 'dataset', ErrorCodes.BAD_DATASET);
  const ref: DatasetRef = { ref: request.dataset, path: datasetPath, limit: request.limit, field: request.field };
  if (!ref.path) {
    throw new UserError(ErrorCodes.FILE_NOT_FOUND, `dataset not found: ${request.dataset}`, {
      hint: 'pass a dataset folder or file',
    });
  }
  // the data-taking metrics decide the kind; metrics that need none take the dataset only when it fits them
  const takers = planned.filter((p) => needsData(p.metric));
  const deciding = takers.length > 0 ? takers : planned;
  const kinds = deciding[0].metric.datasetKinds.filter(
    (k) => k !== 'none' && deciding.every((p) => p.metric.datasetKinds.includes(k)),
  );
  const who = deciding.map((p) => p.metric.id).join(' and ');
  if (kinds.length === 0) {
    throw new UserError(
      ErrorCodes.WRONG_DATASET_KIND,
      `metrics ${who} score no dataset kind in common (${deciding.map((p) => `${p.metric.id}: ${p.metric.datasetKinds.join('|')}`).join('; ')})`,
      {
        hint: 'run mc eval once per dataset',
      },
    );
  }
  const provider = await chooseProvider(registry, ref, kinds, who, request.datasetType);
  const data = await provider.open(ref, ctx);
  if (!kinds.includes(data.kind)) throw wrongKind(request.dataset, data.kind, who, kinds);
  if (data.size === 0) throw new UserError(ErrorCodes.BAD_DATASET, `dataset ${request.dataset} is empty`);
  return { provider, data };
}

async function chooseProvider(
  registry: Registry,
  ref: DatasetRef,
  kinds: readonly string[],
  metricId: string,
  forced?: string,
): Promise<DatasetProvider> {
  if (forced) {
    const p = registry.dataset(forced);
    if (!kinds.includes(p.kind)) throw wrongKind(ref.ref, p.kind, metricId, kinds);
    return p;
  }
  const providers = registry.datasetProviders();
  const recognised: DatasetProvider[] = [];
  for (const p of providers) if (await p.canOpen(ref)) recognised.push(p);
  const fitting = recognised.find((p) => kinds.includes(p.kind));
  if (fitting) return fitting;
  if (recognised.length > 0) throw wrongKind(ref.ref, recognised[0].kind, metricId, kinds);
  for (const p of providers) {
    const why = await p.diagnose?.(ref);
    if (why)
      throw new UserError(ErrorCodes.BAD_DATASET, `${ref.ref}: ${why}`, {
        hint: `read by dataset provider ${p.id} (${p.kind}); mc list --kind dataset describes the layouts`,
      });
  }
  throw new UserError(ErrorCodes.BAD_DATASET, `no dataset provider recognises ${ref.ref}`, {
    hint: `metric ${metricId} scores ${kinds.join(' or ')} datasets; providers: ${providers.map((p) => `${p.id} (${p.kind})`).join(', ') || 'none'}`,
  });
}

function wrongKind(ref: string, kind: string, metricId: string, kinds: readonly string[]): UserError {
  return new UserError(
    ErrorCodes.WRONG_DATASET_KIND,
    `dataset ${ref} is of kind ${kind}, but metric ${metricId} scores ${kinds.join(' or ')}`,
    {
      hint: 'mc list shows which metrics score which dataset kinds',
    },
  );
}
