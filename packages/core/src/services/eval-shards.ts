/**
 * mc eval --shards N: each metric's plan (bpc's window batches, a kick task's items) is cut into N
 * contiguous ranges; shard i scores range i (evaluateShard, one process or one queue job each), and
 * mergeEvalShards joins the N results through each metric's mergeShards into the result one process
 * would have written, its figures equal bit for bit. evaluateSharded runs the shards here, one after
 * another (the queue's 'eval-shard' jobs run the same evaluateShard on workers).
 */
import type { EvalShard, RunContext } from '../contracts.js';
import { BugError, ErrorCodes, UserError } from '../errors.js';
import type { Registry } from '../registry.js';
import type { EvalResult } from '../results.js';
import { evaluateModel, planMetrics, type EvalRequest, type PlannedMetric } from './eval.js';

/** More shards than this is a typo, not a plan (a shard costs a model load). */
export const MAX_SHARDS = 10_000;

/**
 * Every metric resolved and checked as eval checks them, and checked to be one --shards can split
 * and merge; touches no file. What a sharded eval cannot do is refused here, before any work.
 */
export function planEvalShards(registry: Registry, request: EvalRequest, count: number): PlannedMetric[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS)
    throw new UserError(ErrorCodes.BAD_PARAM, `--shards ${count}: expected a whole number from 1 to ${MAX_SHARDS}`);
  const planned = planMetrics(registry, request);
  const unsplittable = planned.filter((p) => p.metric.mergeShards === undefined).map((p) => p.metric.id);
  if (unsplittable.length > 0)
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `--shards: ${unsplittable.map((id) => `--metric ${id}`).join(', ')} cannot be split into shards`,
      {
        hint: `${splittable(registry).join(', ') || 'no metric here'} can; run the others without --shards`,
      },
    );
  if (request.resume !== undefined)
    throw new UserError(ErrorCodes.BAD_PARAM, '--resume and --shards cannot be combined', {
      hint: 'a shard is small: one that failed is run again whole (with --queue, the queue retries it)',
    });
  if ((request.alsoOnBaseline ?? []).length > 0)
    throw new UserError(ErrorCodes.BAD_PARAM, 'a --gate on a .delta figure cannot be used with --shards', {
      hint: 'evaluate the baseline with its own mc eval --shards, or gate on figures of the model itself',
    });
  if (request.shard !== undefined) throw new BugError('planEvalShards takes the whole request, not one shard');
  return planned;
}

/** The ids of the metrics --shards can split (they have mergeShards). */
function splittable(registry: Registry): string[] {
  return registry
    .list('metric')
    .map((e) => e.declaration.id)
    .filter((id) => registry.metric(id).mergeShards !== undefined);
}

/** One shard of every metric of `request` (each result's metric.shard holds what the merge replays). */
export function evaluateShard(
  registry: Registry,
  request: EvalRequest,
  shard: EvalShard,
  ctx: RunContext,
): Promise<EvalResult[]> {
  planEvalShards(registry, request, shard.count);
  if (!Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count)
    throw new UserError(ErrorCodes.BAD_PARAM, `shard ${shard.index} of ${shard.count} does not exist`);
  return evaluateModel(registry, { ...request, shard }, ctx);
}

/**
 * The results of one eval from its shards' results (`parts[i]`: shard i's, one per metric in the
 * request's order): each metric's mergeShards, and the header of shard 0 (digests, params, seed are
 * the same in every shard) with the shards' evaluation times added up.
 */
export function mergeEvalShards(registry: Registry, parts: readonly (readonly EvalResult[])[]): EvalResult[] {
  if (parts.length === 0) throw new BugError('mergeEvalShards: no shards');
  return parts[0].map((first, m) => {
    const metric = registry.metric(first.metric.metric);
    const ofMetric = parts.map((p) => p[m]);
    if (ofMetric.some((r) => r?.metric.metric !== metric.id || r.model.sha256 !== first.model.sha256))
      throw new BugError(`mergeEvalShards: the shards of ${metric.id} are not results of one eval`);
    if (!metric.mergeShards) throw new BugError(`${metric.id} has no mergeShards`);
    const merged = metric.mergeShards(
      ofMetric.map((r) => r.metric),
      first.metric.params,
    );
    const evaluateS = ofMetric.reduce((t, r) => t + (r.timings.evaluateS ?? 0), 0);
    return {
      ...first,
      createdAt: new Date().toISOString(),
      metric: { ...merged, params: first.metric.params, details: { ...merged.details, shards: parts.length } },
      timings: {
        openS: first.timings.openS ?? 0,
        evaluateS,
        totalS: ofMetric.reduce((t, r) => t + (r.timings.totalS ?? 0), 0),
        samplesPerS: merged.samples / evaluateS,
      },
    };
  });
}

/** --shards N without --queue: the shards one after another in this process, then merged. */
export async function evaluateSharded(
  registry: Registry,
  request: EvalRequest,
  count: number,
  ctx: RunContext,
): Promise<EvalResult[]> {
  planEvalShards(registry, request, count);
  const parts: EvalResult[][] = [];
  for (let index = 0; index < count; index++) {
    ctx.log.info(`eval: shard ${index + 1} of ${count}`);
    parts.push(await evaluateShard(registry, request, { index, count }, ctx));
  }
  return mergeEvalShards(registry, parts);
}
