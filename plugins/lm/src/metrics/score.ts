/**
 * Runs a window plan through a causal LM and keeps sums (STYLE.md §11): Σ NLL in nats and the
 * count of scored targets, in float64; the division happens once, in the metric.
 */
import type { CausalLM, ProgressTask, RunContext, TokenWindows } from '@mc-kit/core';
import { throwIfAborted } from '@mc-kit/core';
import type { Window } from './windows.js';

export interface ScoreSums {
  totalNats: number;
  scored: number;
  windows: number;
}

/** Windows are batched by equal length (all of them, except perhaps a strided plan's last one). */
export async function scoreWindows(
  lm: CausalLM,
  stream: Int32Array,
  windows: readonly Window[],
  batchSize: number,
  ctx: RunContext,
  task: ProgressTask,
): Promise<ScoreSums> {
  const sums: ScoreSums = { totalNats: 0, scored: 0, windows: 0 };
  for (const { batch, tokens } of windowBatches(stream, windows, batchSize)) {
    throwIfAborted(ctx.signal);
    const nll = await lm.tokenNll(tokens);
    batch.forEach((w, b) => {
      for (let t = w.scoreFrom; t < tokens.length; t++) sums.totalNats += nll[b * tokens.length + t];
      sums.scored += tokens.length - w.scoreFrom;
    });
    sums.windows += batch.length;
    task.tick(batch.length);
  }
  return sums;
}

/** Up to `batchSize` consecutive windows of equal length at a time, as model inputs and next-token targets. */
export function* windowBatches(stream: Int32Array, windows: readonly Window[], batchSize: number): Generator<{ batch: readonly Window[]; tokens: TokenWindows }> {
  let i = 0;
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
    yield { batch, tokens: { batch: batch.length, length, inputs, targets } };
    i = j;
  }
}
