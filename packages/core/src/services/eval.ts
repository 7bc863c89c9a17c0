/**
 * eval: resolve the metric (did-you-mean on typos), find a dataset provider that can open the ref
 * and whose kind the metric scores, run the metric, and describe the run with digests.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Dataset, DatasetProvider, DatasetRef, Metric, RunContext } from '../contracts.js';
import { throwIfAborted } from '../context.js';
import { ErrorCodes, UserError } from '../errors.js';
import { isHubRef, resolveHubRef } from '../hub/index.js';
import { loadModelRef } from '../model-ref.js';
import { parseParams, type Params } from '../params.js';
import { assertFileOrFolder } from '../safe-paths.js';
import type { Registry } from '../registry.js';
import { resultHeader, runProvenance, type EvalResult } from '../results.js';
import { onnxruntimeVersion } from '../session/factory.js';
import { CORE_VERSION } from '../version.js';
import { pluginVersions } from './versions.js';

export interface EvalRequest {
  readonly model: string;
  readonly metric: string;
  readonly dataset: string;
  /** force a provider id instead of detection */
  readonly datasetType?: string;
  readonly limit?: number;
  /** record field for jsonl/parquet text */
  readonly field?: string;
  readonly params: Record<string, unknown>;
  readonly seed: number;
}

/** Resolve the metric and validate its parameters, touching no file (`mc sweep` checks before any work). */
export function planMetric(registry: Registry, metricId: string, params: Record<string, unknown>): { metric: Metric; params: Params } {
  const metric = registry.metric(metricId);
  return { metric, params: parseParams(metric.params, params, `--metric ${metric.id}`) };
}

export async function evaluateModel(registry: Registry, request: EvalRequest, ctx: RunContext): Promise<EvalResult> {
  const t0 = performance.now();
  const { metric, params } = planMetric(registry, request.metric, request.params);
  const model = await loadModelRef(request.model, ctx);
  const datasetPath = isHubRef(request.dataset)
    ? (await resolveHubRef(request.dataset, 'dataset', ctx)).dir
    : existsSync(resolve(request.dataset))
      ? resolve(request.dataset)
      : undefined;
  // a FIFO or a device would block or never end: regular files and folders only
  if (datasetPath) assertFileOrFolder(datasetPath, 'dataset', ErrorCodes.BAD_DATASET);
  const ref: DatasetRef = {
    ref: request.dataset,
    path: datasetPath,
    limit: request.limit,
    field: request.field,
  };
  if (!ref.path) {
    throw new UserError(ErrorCodes.FILE_NOT_FOUND, `dataset not found: ${request.dataset}`, { hint: 'pass a dataset folder or file' });
  }
  const provider = await chooseProvider(registry, ref, metric.datasetKinds, metric.id, request.datasetType);
  const tOpen = performance.now();
  const data: Dataset = await provider.open(ref, ctx);
  if (!metric.datasetKinds.includes(data.kind)) throw wrongKind(request.dataset, data.kind, metric.id, metric.datasetKinds);
  if (data.size === 0) throw new UserError(ErrorCodes.BAD_DATASET, `dataset ${request.dataset} is empty`);
  const tRun = performance.now();
  const result = await metric.evaluate(model, data, params, ctx);
  throwIfAborted(ctx.signal); // interrupted at the very end: no result
  const tEnd = performance.now();
  return {
    ...resultHeader(),
    kind: 'eval',
    versions: {
      mc: CORE_VERSION,
      node: process.version,
      onnxruntime: onnxruntimeVersion(),
      plugins: { ...pluginVersions(registry, [metric.id], 'metric'), ...pluginVersions(registry, [provider.id], 'dataset') },
    },
    ...runProvenance(ctx),
    model: { ref: request.model, path: model.path, sha256: model.sha256, bytes: model.bytes },
    metric: { ...result, params },
    dataset: { ref: request.dataset, provider: provider.id, kind: data.kind, digest: data.digest, size: data.size, limit: request.limit },
    seed: request.seed,
    timings: { openS: (tRun - tOpen) / 1000, evaluateS: (tEnd - tRun) / 1000, totalS: (tEnd - t0) / 1000, samplesPerS: result.samples / ((tEnd - tRun) / 1000) },
  };
}

async function chooseProvider(registry: Registry, ref: DatasetRef, kinds: readonly string[], metricId: string, forced?: string): Promise<DatasetProvider> {
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
    if (why) throw new UserError(ErrorCodes.BAD_DATASET, `${ref.ref}: ${why}`, { hint: `read by dataset provider ${p.id} (${p.kind}); mc list --kind dataset describes the layouts` });
  }
  throw new UserError(ErrorCodes.BAD_DATASET, `no dataset provider recognises ${ref.ref}`, {
    hint: `metric ${metricId} scores ${kinds.join(' or ')} datasets; providers: ${providers.map((p) => `${p.id} (${p.kind})`).join(', ') || 'none'}`,
  });
}

function wrongKind(ref: string, kind: string, metricId: string, kinds: readonly string[]): UserError {
  return new UserError(ErrorCodes.WRONG_DATASET_KIND, `dataset ${ref} is of kind ${kind}, but metric ${metricId} scores ${kinds.join(' or ')}`, {
    hint: 'mc list shows which metrics score which dataset kinds',
  });
}
