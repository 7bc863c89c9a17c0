/**
 * The per-tensor loop: what the progress task sees (ticks, lines, done or fail), Ctrl-C before a
 * tensor, and the report rows in the model's initializer order taken before the rewrite.
 */
import type { Progress, RunContext } from './contracts.js';
import { DataType } from './onnx/dtypes.js';
import { initializerOrder, rewriteTensors, skippedTensorRow } from './rewrite-tensors.js';
import { GraphBuilder } from './testing/graph-builder.js';

/** A RunContext whose progress writes what happens to `events`. */
function recordingContext(signal = new AbortController().signal) {
  const events: string[] = [];
  const progress: Progress = {
    start: (label, total) => {
      events.push(`start ${label} ${total}`);
      return {
        tick: () => events.push('tick'),
        update: (line) => events.push(`line ${line}`),
        done: (summary) => events.push(`done ${summary}`),
        fail: () => events.push('fail'),
      };
    },
  };
  return { ctx: { progress, signal } as unknown as RunContext, events };
}

/** x[1, 2] -> MatMul(b) -> MatMul(a) -> y, initializers held in the order b, a, c. */
function model() {
  const g = new GraphBuilder();
  const x = g.input('x', DataType.FLOAT, [1, 2]);
  const b = g.initializer('b', DataType.FLOAT, [2, 2], new Float32Array([1, 0, 0, 1]));
  const a = g.initializer('a', DataType.FLOAT, [2, 2], new Float32Array([2, 0, 0, 2]));
  g.initializer('c', DataType.FLOAT, [3], new Float32Array(3));
  const [h] = g.node('MatMul', [x, b]);
  const [y] = g.node('MatMul', [h, a]);
  g.output(y, DataType.FLOAT);
  return g.build();
}

describe('rewriteTensors', () => {
  it('ticks once per tensor with its line, and finishes with the summary of what the body returned', async () => {
    const { ctx, events } = recordingContext();
    const result = await rewriteTensors(
      ctx,
      { label: 'm', total: 2, done: (r: number[]) => `m: ${r.join('+')}` },
      (loop) =>
        loop.each(
          ['a', 'bb'],
          (t) => `m ${t}`,
          (t, i) => t.length * 10 + i,
        ),
    );
    expect(result).toEqual([10, 21]);
    expect(events).toEqual(['start m 2', 'line m a', 'tick', 'line m bb', 'tick', 'done m: 10+21']);
  });

  it('fails the task and passes the error on when a tensor throws, with no tick for it', async () => {
    const { ctx, events } = recordingContext();
    const run = rewriteTensors(ctx, { label: 'm', total: 2, done: () => 'never' }, (loop) =>
      loop.each(
        ['a', 'b'],
        (t) => t,
        async (t) => {
          if (t === 'b') throw new Error('bad weight b');
          return t;
        },
      ),
    );
    await expect(run).rejects.toThrow('bad weight b');
    expect(events).toEqual(['start m 2', 'line a', 'tick', 'line b', 'fail']);
  });

  it('stops before the next tensor once Ctrl-C aborted the run', async () => {
    const abort = new AbortController();
    const { ctx, events } = recordingContext(abort.signal);
    const run = rewriteTensors(ctx, { label: 'm', total: 3, done: () => 'never' }, (loop) =>
      loop.each(
        ['a', 'b', 'c'],
        (t) => t,
        (t) => (t === 'a' ? abort.abort() : t),
      ),
    );
    await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(events).toEqual(['start m 3', 'line a', 'tick', 'fail']);
  });
});

describe('report rows', () => {
  it('sorts rows into the initializer order taken before the rewrite renamed anything', () => {
    const m = model();
    const order = initializerOrder(m);
    const c = m.getInitializer('c')!;
    m.removeInitializer('b');
    const rows = order([{ name: 'a', action: 'x' }, skippedTensorRow(c, 'too small'), { name: 'b', action: 'x' }]);
    expect(rows.map((r) => r.name)).toEqual(['b', 'a', 'c']);
    expect(rows[2]).toEqual({
      name: 'c',
      action: 'skipped',
      reason: 'too small',
      shape: [3],
      elements: 3,
      bytesBefore: 12,
      bytesAfter: 12,
    });
  });
});
