/**
 * The driver every kick-* metric runs through: score the model item by item, aggregate micro means
 * (headline and per group), and with --baseline score the baseline model on the same items and
 * report the paired difference. A task supplies only how to score one model (KickTask.score).
 */
import {
  BugError,
  createRng,
  ErrorCodes,
  shardRange,
  shardRecords,
  UserError,
  type LoadedModel,
  type MetricInputs,
  type MetricResult,
  type MetricValue,
  type Params,
  type RunContext,
} from '@mc-kit/core';
import { pairedBootstrap, type PairedBootstrap } from './bootstrap.js';
import { meanScore, meanStderr, type ItemScore } from './item-score.js';
import { kickOptions, type KickOptions } from './params.js';

export interface KickTask<D> {
  /** the metric id, e.g. 'kick-mcq' */
  readonly id: string;
  /** bumped when scores can change for the same model and data (STYLE.md §10) */
  readonly metricVersion: number;
  /** the name of the headline value, e.g. 'accuracy' or 'exact_match' */
  readonly headline: string;
  /** Score every item of `data` with `model`, in a stable item order; `label` names the run in progress lines. */
  score(
    model: LoadedModel,
    data: D,
    params: Params,
    options: KickOptions,
    ctx: RunContext,
    label: string,
  ): Promise<ItemScore[]>;
  /** task-specific details added to the result (settings, counts) */
  details?(scores: readonly ItemScore[]): Record<string, unknown>;
  /**
   * Present on a task eval --shards can split: how many items score() walks, in its order; score()
   * then scores only options.range of them. Absent on sampled tasks: each shard would restart the
   * ctx.rng stream a single run draws from item after item.
   */
  units?(data: D): number;
  /** the details of the merged scores, given each shard's own details in shard order (state score() kept, such as skipped items) */
  mergeDetails?(scores: readonly ItemScore[], parts: readonly Record<string, unknown>[]): Record<string, unknown>;
}

/** What one shard of a kick task returns for the merge: its items' scores (and the baseline's), in order. */
interface KickShard {
  readonly scores: ItemScore[];
  readonly details: Record<string, unknown>;
  readonly base?: ItemScore[];
  readonly baseDetails?: Record<string, unknown>;
  readonly baseline?: { readonly ref: string; readonly sha256: string };
  /** --seed, for the paired bootstrap the merge runs */
  readonly seed: number;
}

/** An item two models scored differently: what each got. */
export interface Disagreement {
  readonly id: string;
  readonly model: number;
  readonly baseline: number;
}

export async function runKickTask<D>(
  task: KickTask<D>,
  model: LoadedModel,
  data: D,
  params: Params,
  ctx: RunContext,
  inputs: MetricInputs = {},
): Promise<MetricResult> {
  const options = kickOptions(params, inputs.baseline);
  const baselineModel = options.baseline; // loaded by eval before any scoring
  if (inputs.shard) {
    if (!task.units) throw new BugError(`${task.id} cannot be split into shards`);
    const sharded = { ...options, range: shardRange(task.units(data), inputs.shard) };
    const scores = await task.score(model, data, params, sharded, ctx, model.ref);
    const record: KickShard = { scores, details: task.details?.(scores) ?? {}, seed: ctx.rng.seed };
    if (baselineModel) {
      const base = await task.score(baselineModel, data, params, sharded, ctx, `baseline ${baselineModel.ref}`);
      const baseline = { ref: baselineModel.ref, sha256: baselineModel.sha256 };
      Object.assign(record, { base, baseDetails: task.details?.(base) ?? {}, baseline });
    }
    const shard = { ...inputs.shard, records: record };
    return { metric: task.id, metricVersion: task.metricVersion, values: {}, sums: {}, samples: scores.length, shard };
  }
  const scores = await task.score(model, data, params, options, ctx, model.ref);
  const details = task.details?.(scores); // before the baseline's score() replaces what the task kept of this one
  const base = baselineModel
    ? await task.score(baselineModel, data, params, options, ctx, `baseline ${baselineModel.ref}`)
    : undefined;
  return kickResult(task, scores, details, base, base && task.details?.(base), options, ctx);
}

/** A kick task's merged result: the shards' scores joined in order, then aggregated as one run's. */
export function mergeKickShards<D>(task: KickTask<D>, parts: readonly MetricResult[], params: Params): MetricResult {
  const shards = shardRecords<KickShard>(parts, task.id);
  const joined = (pick: (s: KickShard) => ItemScore[] | undefined) => shards.flatMap((s) => pick(s) ?? []);
  const detailsOf = (scores: ItemScore[], pick: (s: KickShard) => Record<string, unknown> | undefined) =>
    task.mergeDetails
      ? task.mergeDetails(
          scores,
          shards.map((s) => pick(s) ?? {}),
        )
      : task.details?.(scores);
  const scores = joined((s) => s.scores);
  const hasBase = shards[0].base !== undefined;
  const base = hasBase ? joined((s) => s.base) : undefined;
  const seed = shards[0].seed;
  const quiet = { info() {}, warn() {}, debug() {} };
  const options = kickOptions(params, hasBase ? BASELINE_OF_SHARDS : undefined);
  return kickResult(
    task,
    scores,
    detailsOf(scores, (s) => s.details),
    base,
    base && detailsOf(base, (s) => s.baseDetails),
    options,
    { rng: createRng(seed), log: quiet },
    shards[0].baseline,
  );
}

/** kickOptions only asks whether a baseline was given; the merge has its ref and digest from the shards' details. */
const BASELINE_OF_SHARDS = { ref: '', path: '', sha256: '', bytes: 0 };

function kickResult<D>(
  task: KickTask<D>,
  scores: readonly ItemScore[],
  taskDetails: Record<string, unknown> | undefined,
  base: readonly ItemScore[] | undefined,
  baseDetails: Record<string, unknown> | undefined,
  options: KickOptions,
  ctx: Pick<RunContext, 'rng' | 'log'>,
  baselineInfo?: { ref: string; sha256: string },
): MetricResult {
  const values: Record<string, MetricValue> = {};
  const sums: Record<string, number> = {};
  aggregate(task.headline, scores, values, sums);
  const details: Record<string, unknown> = { mode: options.faithful ? 'faithful' : 'clean', ...taskDetails };
  details.items = scores.map((s) => ({ id: s.id, score: s.score }));
  if (options.logSamples) details.samples = scores;

  if (base) {
    const baselineModel = options.baseline!;
    const comparison = compare(scores, base, options, ctx);
    values[`${task.headline}.baseline`] = {
      value: meanScore(base),
      stderr: meanStderr(base.map((s) => s.score)),
      higherIsBetter: true,
    };
    values[`${task.headline}.delta`] = { value: comparison.delta, stderr: comparison.stderr, higherIsBetter: true };
    sums['baseline.score_sum'] = base.reduce((t, s) => t + s.score, 0);
    sums['baseline.items'] = base.length;
    details.baseline = {
      ...(baselineInfo ?? { ref: baselineModel.ref, sha256: baselineModel.sha256 }),
      ...baseDetails,
    };
    details.comparison = comparison;
    if (options.logSamples) details.baselineSamples = base;
    ctx.log.info(
      `${task.headline} ${fmt(meanScore(scores))} vs baseline ${fmt(meanScore(base))}: delta ${fmt(comparison.delta)}, ${Math.round(comparison.level * 100)}% interval [${fmt(comparison.low)}, ${fmt(comparison.high)}] ` +
        `(paired bootstrap, ${comparison.resamples} resamples, seed ${comparison.seed}); ${comparison.disagreements.length} of ${scores.length} items disagree in score, ${comparison.outputChanges} in output`,
    );
  }
  return { metric: task.id, metricVersion: task.metricVersion, values, sums, samples: scores.length, details };
}

/** The headline micro mean and one micro mean per group, with the sums behind them (STYLE.md §11). */
function aggregate(
  headline: string,
  scores: readonly ItemScore[],
  values: Record<string, MetricValue>,
  sums: Record<string, number>,
): void {
  values[headline] = { value: meanScore(scores), stderr: meanStderr(scores.map((s) => s.score)), higherIsBetter: true };
  sums.score_sum = scores.reduce((t, s) => t + s.score, 0);
  sums.items = scores.length;
  const groups = new Map<string, number[]>();
  for (const s of scores) for (const g of s.groups ?? []) (groups.get(g) ?? groups.set(g, []).get(g)!).push(s.score);
  // Coarse tables first: kinds of group ('category/...', 'subject/...') ordered by how many groups they hold.
  const kind = (g: string) => g.split('/')[0];
  const perKind = new Map<string, number>();
  for (const g of groups.keys()) perKind.set(kind(g), (perKind.get(kind(g)) ?? 0) + 1);
  const ordered = [...groups].sort(
    ([x], [y]) => perKind.get(kind(x))! - perKind.get(kind(y))! || (kind(x) < kind(y) ? -1 : kind(x) > kind(y) ? 1 : 0),
  );
  for (const [g, list] of ordered) {
    const sum = list.reduce((t, v) => t + v, 0);
    values[g] = { value: sum / list.length, stderr: meanStderr(list), higherIsBetter: true };
    sums[`${g}.score_sum`] = sum;
    sums[`${g}.items`] = list.length;
  }
}

/** core's paired bootstrap (delta, interval, level, resamples, stderr, items paired), with what the kick tasks add. */
export interface Comparison extends PairedBootstrap {
  readonly method: 'paired bootstrap (percentile interval)';
  /** the seed the resampling used (--seed) */
  readonly seed: number;
  /** items only the model scored (e.g. skipped by the baseline as too long for its context); left out of the delta */
  readonly unpaired: number;
  /** items only the baseline scored; left out of the delta too */
  readonly baselineOnly: number;
  /**
   * The two means the delta is the difference of: over the paired items only. With unpaired items
   * they differ from the headline and `.baseline` values (each over all its own items), so
   * headline − baseline ≠ delta; these are the numbers that do subtract to it.
   */
  readonly pairedMeans: { readonly model: number; readonly baseline: number };
  /** paired items whose output text differs between the two models, scored the same or not (a score can hide a change) */
  readonly outputChanges: number;
  readonly disagreements: readonly Disagreement[];
}

/**
 * Pair the two runs by item id and bootstrap the
 * difference. Its own Rng from --seed, so the interval does not depend on how much randomness the
 * scoring consumed (sampled generation draws from ctx.rng).
 */
export function compare(
  model: readonly ItemScore[],
  baseline: readonly ItemScore[],
  options: Pick<KickOptions, 'resamples' | 'level'>,
  ctx: Pick<RunContext, 'rng'>,
): Comparison {
  const byId = new Map(baseline.map((s) => [s.id, s]));
  const a: number[] = [];
  const b: number[] = [];
  const disagreements: Disagreement[] = [];
  let unpaired = 0;
  let outputChanges = 0;
  for (const s of model) {
    const base = byId.get(s.id);
    if (base === undefined) {
      unpaired++;
      continue;
    }
    const other = base.score;
    if (base.output !== s.output) outputChanges++;
    a.push(s.score);
    b.push(other);
    if (other !== s.score) disagreements.push({ id: s.id, model: s.score, baseline: other });
  }
  if (a.length === 0)
    throw new UserError(ErrorCodes.BAD_PARAM, 'the model and the --baseline scored no item in common', {
      hint: 'both must take the same dataset',
    });
  const boot = pairedBootstrap(a, b, createRng(ctx.rng.seed), options.resamples, options.level);
  const mean = (xs: readonly number[]) => xs.reduce((t, x) => t + x, 0) / xs.length;
  const baselineOnly = baseline.length - a.length;
  return {
    method: 'paired bootstrap (percentile interval)',
    delta: boot.delta,
    low: boot.low,
    high: boot.high,
    level: boot.level,
    resamples: boot.resamples,
    stderr: boot.stderr,
    seed: ctx.rng.seed,
    items: boot.items,
    unpaired,
    baselineOnly,
    pairedMeans: { model: mean(a), baseline: mean(b) },
    outputChanges,
    disagreements,
  };
}

function fmt(v: number): string {
  return v.toFixed(4);
}
