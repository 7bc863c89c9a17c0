/**
 * Runs a window plan through a causal LM and keeps sums (STYLE.md §11): Σ NLL in nats and the
 * count of scored targets, in float64; the division happens once, in the metric.
 *
 * With eval --resume, the sums after each batch and the next window go to the checkpoint `part`;
 * a resumed run starts from the last one and adds the same batches in the same order, so its sums
 * equal an uninterrupted run's bit for bit.
 */
import type { CausalLM, ProgressTask, RunContext, TokenWindows } from '@mc-kit/core';
import { openCheckpoint, throwIfAborted } from '@mc-kit/core';
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
    const nll = await lm.tokenNll(tokens);
    batch.forEach((w, b) => {
      for (let t = w.scoreFrom; t < tokens.length; t++) sums.totalNats += nll[b * tokens.length + t];
      sums.scored += tokens.length - w.scoreFrom;
    });
    sums.windows += batch.length;
    task.tick(batch.length);
    await checkpoint.append({ next, ...sums } satisfies Progress);
  }
  return sums;
}

/**
 * Up to `batchSize` consecutive windows of equal length at a time, from window `from` on, as model
 * inputs and next-token targets; `next` is the first window after the batch.
 */
export function* windowBatches(
  stream: Int32Array,
  windows: readonly Window[],
  batchSize: number,
  from = 0,
): Generator<{ batch: readonly Window[]; tokens: TokenWindows; next: number }> {
  let i = from;
  while (i < windows.length) {
    const length = windows[i].length;
    let j = i;
    while (j < windows.length && j - i < batchSize && windows[j].length === length) j++;
    const batch = windows.slice(i, j);
    const inputs = new Int32Array(batch.length * length);
    const targets = new Int32Array(batch.length * length);
    batch.forEach((w, b) => {
      inputs.set(stream.subarray(w.begin, w.begin + length), b * length);
      targets.set(stream.subarray(w.begin + 1, w.begin + 1 + length), b * length);
    });
    yield { batch, tokens: { batch: batch.length, length, inputs, targets }, next: j };
    i = j;
  }
}
