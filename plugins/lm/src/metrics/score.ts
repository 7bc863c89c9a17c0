/**
 * Runs a window plan through a causal LM and keeps sums (STYLE.md §11): Σ NLL in nats and the
 * count of scored targets, in float64; the division happens once, in the metric.
 */
import type { CausalLM, ProgressTask, RunContext } from '@mc-kit/core';
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
  let i = 0;
  while (i < windows.length) {
    throwIfAborted(ctx.signal);
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
    const nll = await lm.tokenNll({ batch: batch.length, length, inputs, targets });
    batch.forEach((w, b) => {
      for (let t = w.scoreFrom; t < length; t++) sums.totalNats += nll[b * length + t];
      sums.scored += length - w.scoreFrom;
    });
    sums.windows += batch.length;
    task.tick(batch.length);
    i = j;
  }
  return sums;
}
