/**
 * For metric authors whose metric `mc eval --shards N` may split (Metric.mergeShards):
 *
 *  - shardRange(units, shard): the contiguous range of the plan's units (batches of windows, items)
 *    this shard scores. Every shard computes the same plan, so the ranges tile it in order.
 *  - encodeFloats / decodeFloats: a list of doubles as base64 of their IEEE bytes, so a shard's
 *    per-token values travel through JSON (a queue job's return value) exactly and compactly.
 *  - shardRecords(parts): the shards' records in shard order, checked to be one whole set.
 *
 * A float sum depends on its order, so a merge never adds partial sums: it replays every unit's
 * values, in plan order, through the accumulator a single run uses.
 */
import type { EvalShard, MetricResult } from './contracts.js';
import { BugError } from './errors.js';

export interface UnitRange {
  /** first unit of the shard */
  readonly from: number;
  /** one past its last unit (from === to: an empty shard, when there are more shards than units) */
  readonly to: number;
}

/** Shard `index` of `count` over `units` units: floor(index·units/count) up to floor((index+1)·units/count). */
export function shardRange(units: number, shard: EvalShard): UnitRange {
  if (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index))
    throw new BugError(`shard ${shard.index} of ${shard.count}`);
  if (shard.index < 0 || shard.index >= shard.count) throw new BugError(`shard ${shard.index} of ${shard.count}`);
  return {
    from: Math.floor((shard.index * units) / shard.count),
    to: Math.floor(((shard.index + 1) * units) / shard.count),
  };
}

export function encodeFloats(values: ArrayLike<number>): string {
  return Buffer.from(Float64Array.from(values).buffer).toString('base64');
}

export function decodeFloats(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 8 !== 0) throw new BugError(`a shard record of ${bytes.length} bytes is not a list of doubles`);
  // copied: a Buffer from base64 may sit at an offset that is not a multiple of 8 in its pool
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** The records of every shard, in shard order; a missing, repeated or foreign shard is our bug (eval assembles them). */
export function shardRecords<R>(parts: readonly MetricResult[], metric: string): R[] {
  const count = parts.length;
  return parts.map((p, i) => {
    if (!p.shard || p.metric !== metric || p.shard.index !== i || p.shard.count !== count)
      throw new BugError(`${metric}: part ${i} of ${count} is not shard ${i} of ${count} of ${metric}`);
    return p.shard.records as R;
  });
}
