/**
 * Runs a window plan through a causal LM and keeps sums (STYLE.md §11): Σ NLL in nats and the
 * count of scored targets, in float64; the division happens once, in the metric.
 *
 * With eval --resume, the sums after each batch and the next window go to the checkpoint `part`;
 * a resumed run starts from the last one and adds the same batches in the same order, so its sums
 * equal an uninterrupted run's bit for bit.
 */
import type { CausalLM, EvalShard, ProgressTask, RunContext, TokenWindows } from '@mc-kit/core';
import { decodeFloats, encodeFloats, openCheckpoint, shardRange, throwIfAborted } from '@mc-kit/core';
import type { Window } from './windows.js';

export interface ScoreSums {
  totalNats: number;
  scored: number;
  windows: number;
}

/** What the checkpoint keeps after a batch: the sums so far and the first window not yet scored. */
interface Progress extends ScoreSums {
  next: number;
}

/** Windows are batched by equal length (all of them, except perhaps a strided plan's last one). */
export async function scoreWindows(
  lm: CausalLM,
  stream: Int32Array,
  windows: readonly Window[],
  batchSize: number,
  ctx: RunContext,
  task: ProgressTask,
  part: string,
): Promise<ScoreSums> {
  const checkpoint = await openCheckpoint(ctx, part);
  const last = checkpoint.records.at(-1) as Progress | undefined;
  const from = last && last.next <= windows.length && last.windows === last.next ? last : undefined;
  const sums: ScoreSums = from
    ? { totalNats: from.totalNats, scored: from.scored, windows: from.windows }
    : { totalNats: 0, scored: 0, windows: 0 };
  const start = from?.next ?? 0;
  if (start > 0) task.tick(start);
  for (const { batch, tokens, next } of windowBatches(stream, windows, batchSize, start)) {
    throwIfAborted(ctx.signal);
    addScored(sums, scoredNll(batch, tokens.length, await lm.tokenNll(tokens)), batch.length);
    task.tick(batch.length);
    await checkpoint.append({ next, ...sums } satisfies Progress);
  }
  return sums;
}

/** The accumulator of a run and of a shard merge alike: one batch's scored NLLs, added in their order. */
export function addScored(sums: ScoreSums, nll: ArrayLike<number>, windows: number): void {
  for (let i = 0; i < nll.length; i++) sums.totalNats += nll[i];
  sums.scored += nll.length;
  sums.windows += windows;
}

/** The NLLs a batch scores (each window from its scoreFrom on), window after window. */
function scoredNll(batch: readonly Window[], length: number, nll: ArrayLike<number>): Float64Array {
  const out = new Float64Array(batch.reduce((n, w) => n + length - w.scoreFrom, 0));
  let k = 0;
  batch.forEach((w, b) => {
    for (let t = w.scoreFrom; t < length; t++) out[k++] = nll[b * length + t];
  });
  return out;
}

/** What a shard keeps of one batch: its window count and scored NLLs (encodeFloats), for addScored in the merge. */
export interface BatchRecord {
  readonly windows: number;
  readonly nll: string;
}

/**
 * eval --shards: the batches of shard `shard` (the units are the batches a whole run makes, so every
 * batch holds the same windows, and the model sees the same inputs, as in one run), as records.
 */
export async function scoreShard(
  lm: CausalLM,
  stream: Int32Array,
  windows: readonly Window[],
  batchSize: number,
  shard: EvalShard,
  ctx: RunContext,
  task: ProgressTask,
): Promise<BatchRecord[]> {
  const bounds = [...batchBounds(windows, batchSize)];
  const { from, to } = shardRange(bounds.length, shard);
  const records: BatchRecord[] = [];
  for (const [i, j] of bounds.slice(from, to)) {
    throwIfAborted(ctx.signal);
    const batch = windows.slice(i, j);
    const tokens = batchTokens(stream, batch);
    records.push({
      windows: batch.length,
      nll: encodeFloats(scoredNll(batch, tokens.length, await lm.tokenNll(tokens))),
    });
    task.tick(batch.length);
  }
  return records;
}

/** The shards' batch records of one part, in shard order, replayed through addScored: the sums of one run. */
export function replayBatches(shards: readonly (readonly BatchRecord[])[]): ScoreSums {
  const sums: ScoreSums = { totalNats: 0, scored: 0, windows: 0 };
  for (const records of shards) for (const r of records) addScored(sums, decodeFloats(r.nll), r.windows);
  return sums;
}

/** Batches as [first window, one past the last]: up to `batchSize` consecutive windows of equal length, from window `from` on. */
export function* batchBounds(windows: readonly Window[], batchSize: number, from = 0): Generator<[number, number]> {
  let i = from;
  while (i < windows.length) {
    const length = windows[i].length;
    let j = i;
    while (j < windows.length && j - i < batchSize && windows[j].length === length) j++;
    yield [i, j];
    i = j;
  }
}

/** A batch of equal-length windows as model inputs and next-token targets. */
export function batchTokens(stream: Int32Array, batch: readonly Window[]): TokenWindows {
  const length = batch[0].length;
  const inputs = new Int32Array(batch.length * length);
  const targets = new Int32Array(batch.length * length);
  batch.forEach((w, b) => {
    inputs.set(stream.subarray(w.begin, w.begin + length), b * length);
    targets.set(stream.subarray(w.begin + 1, w.begin + 1 + length), b * length);
  });
  return { batch: batch.length, length, inputs, targets };
}

/** The batches from window `from` on, as model inputs; `next` is the first window after the batch. */
export function* windowBatches(
  stream: Int32Array,
  windows: readonly Window[],
  batchSize: number,
  from = 0,
): Generator<{ batch: readonly Window[]; tokens: TokenWindows; next: number }> {
  for (const [i, j] of batchBounds(windows, batchSize, from)) {
    const batch = windows.slice(i, j);
    yield { batch, tokens: batchTokens(stream, batch), next: j };
  }
}
