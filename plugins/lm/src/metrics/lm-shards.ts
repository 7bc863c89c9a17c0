/**
 * eval --shards for the window metrics (bpc, perplexity): a shard returns, per subset, the stream's
 * counts (the same in every shard: each tokenizes the whole subset) and its batches' scored NLLs; the
 * merge replays the batches of all shards in order through the accumulator one run uses.
 */
import { shardRecords, type EvalShard, type MetricResult } from '@mc-kit/core';
import { replayBatches, type BatchRecord, type ScoreSums } from './score.js';

/** A subset's counts that do not depend on scoring (characters, tokens, tail, records). */
export type SubsetStats = Record<string, number>;

export interface SubsetShard {
  readonly name: string;
  readonly stats: SubsetStats;
  readonly batches: readonly BatchRecord[];
}

export interface SubsetScore {
  readonly name: string;
  readonly stats: SubsetStats;
  readonly sums: ScoreSums;
}

/** A shard's result: no figures of its own, only what the merge replays. */
export function shardResult(
  metric: string,
  subsets: readonly SubsetShard[],
  shard: EvalShard,
  details: Record<string, unknown>,
): MetricResult {
  const windows = subsets.reduce((n, s) => n + s.batches.reduce((m, b) => m + b.windows, 0), 0);
  return {
    metric,
    metricVersion: 1,
    values: {},
    sums: {},
    samples: windows,
    details,
    shard: { ...shard, records: subsets },
  };
}

/** Every subset's sums, replayed from the shards in order, with its counts. */
export function mergeSubsets(parts: readonly MetricResult[], metric: string): SubsetScore[] {
  const shards = shardRecords<SubsetShard[]>(parts, metric);
  return shards[0].map((first, k) => ({
    name: first.name,
    stats: first.stats,
    sums: replayBatches(shards.map((s) => s[k].batches)),
  }));
}
