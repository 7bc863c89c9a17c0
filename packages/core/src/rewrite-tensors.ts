/**
 * The per-tensor loop every compressor runs, once: one progress task for the step, Ctrl-C checked
 * before each tensor, the tensor named on the progress line, one tick after it, the task failed
 * (and the error passed on) when anything in the step throws, finished with a summary when it
 * returns. And the report's rows: what was left as it was, in the model's own initializer order.
 *
 *   const order = initializerOrder(model); // before the rewrite renames anything
 *   return rewriteTensors(ctx, { label: 'int8', total: targets.length, done: (r) => `int8: ...` }, async (loop) => {
 *     const quantized = await loop.each(targets, (t) => `int8 ${t.name}`, (t) => quantize(t));
 *     ... write the graph ...
 *     return { tensors: order([...rows, ...skipped.map((s) => skippedTensorRow(s.init, s.reason))]), ... };
 *   });
 */
import { throwIfAborted } from './context.js';
import type { RunContext, TensorReport } from './contracts.js';
import type { OnnxModel } from './onnx/model.js';

/** What a step's loop body gets: the per-tensor iteration and the progress line. */
export interface TensorLoop {
  /**
   * `work` on each target in turn (awaited one by one): Ctrl-C is checked before each, `line(target)`
   * is shown while it runs, and the task ticks once after it. The results come back in target order.
   */
  each<T, R>(
    targets: Iterable<T>,
    line: (target: T) => string,
    work: (target: T, index: number) => R | Promise<R>,
  ): Promise<R[]>;
  /** Show a progress line between tensors (a calibration stage) without a tick. */
  update(line: string): void;
}

export interface RewriteStep<R> {
  /** the progress task's name: the method ('int8', 'prune wanda') */
  readonly label: string;
  /** how many ticks the step will make: one per tensor (absent: a spinner with no count) */
  readonly total?: number;
  /** the line the task finishes with, from what the body returned */
  readonly done: (result: R) => string;
}

/** Run one compression step's body as one progress task; see the file comment. */
export async function rewriteTensors<R>(
  ctx: RunContext,
  step: RewriteStep<R>,
  body: (loop: TensorLoop) => Promise<R>,
): Promise<R> {
  const task = ctx.progress.start(step.label, step.total);
  const loop: TensorLoop = {
    async each(targets, line, work) {
      const out = [];
      let index = 0;
      for (const target of targets) {
        throwIfAborted(ctx.signal);
        task.update(line(target));
        out.push(await work(target, index++));
        task.tick();
      }
      return out;
    },
    update: (line) => task.update(line),
  };
  let result: R;
  try {
    result = await body(loop);
  } catch (e) {
    task.fail();
    throw e;
  }
  task.done(step.done(result));
  return result;
}

/** The size facts of a weight a report row needs (an Initializer has them). */
export interface WeightFacts {
  readonly name: string;
  readonly dims: readonly number[];
  readonly elementCount: number;
  readonly byteLength: number;
}

/** The report row of a weight the step left as it was. */
export function skippedTensorRow(w: WeightFacts, reason: string): TensorReport {
  return {
    name: w.name,
    action: 'skipped',
    reason,
    shape: [...w.dims],
    elements: w.elementCount,
    bytesBefore: w.byteLength,
    bytesAfter: w.byteLength,
  };
}

/**
 * A sort of report rows into the order the model holds its initializers NOW (take it before the
 * rewrite renames or removes any); a name the model did not hold counts as position 0. Stable.
 */
export function initializerOrder(model: OnnxModel): <T extends { readonly name: string }>(rows: T[]) => T[] {
  const order = new Map(model.initializerNames().map((n, i) => [n, i]));
  return (rows) => rows.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
}
