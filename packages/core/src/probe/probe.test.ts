/**
 * Drift sums against hand-computed values, and the random probes a model's inputs ask for: sizes
 * for symbolic dims, integer inputs only where the graph says what they index, and the reason when
 * it does not (silero-vad's sample rate).
 */
import { createRng } from '../rng.js';
import { GraphBuilder, attr } from '../testing/graph-builder.js';
import { DataType } from '../onnx/dtypes.js';
import { accumulate, classAxisOf, finish, newSums } from './compare.js';
import { driftWarning, DRIFT_THRESHOLDS } from './drift.js';
import { randomProbes, type ProbePlan } from './random-feeds.js';
import type { HostTensor } from '../session/types.js';

const f32 = (data: number[], dims: number[]): HostTensor => ({ type: 'float32', data: Float32Array.from(data), dims });

describe('drift sums', () => {
  it('relative error ||y - z|| / ||y|| and top-1 agreement over the class axis, by hand', () => {
    const s = newSums('logits', classAxisOf('logits', [2, 2], true));
    accumulate(s, f32([1, 2, 3, 4], [2, 2]), f32([1, 2, 4, 3], [2, 2]));
    const d = finish(s);
    // Σ(y-z)² = 1 + 1 = 2, Σy² = 1 + 4 + 9 + 16 = 30; row 0 agrees (argmax 1), row 1 does not (1 vs 0)
    expect(d).toEqual({
      name: 'logits',
      relativeError: Math.sqrt(2 / 30),
      sumSquaredError: 2,
      sumSquaredDense: 30,
      elements: 4,
      nonFinite: 0,
      classAxis: 1,
      top1Agreement: 0.5,
      positions: 2,
    });
  });

  it('sums over probes before dividing, and keeps NaN out of the error but counts it', () => {
    const s = newSums('y');
    accumulate(s, f32([3, 4], [1, 2]), f32([3, 4], [1, 2]));
    accumulate(s, f32([0, 5, NaN], [1, 3]), f32([0, 4, 1], [1, 3]));
    accumulate(s, f32([1], [1, 1]), f32([Infinity], [1, 1]));
    const d = finish(s);
    expect([d.sumSquaredError, d.sumSquaredDense, d.elements, d.nonFinite]).toEqual([1, 50, 4, 1]);
    expect(d.relativeError).toBeCloseTo(Math.sqrt(1 / 50), 12);
    expect(d.top1Agreement).toBeUndefined();
    expect(driftWarning([d], DRIFT_THRESHOLDS)).toMatch(
      /y: 1 NaN or infinite values where the dense model has finite ones/,
    );
  });

  it('takes the class axis of a classifier and of LM logits, not of states or caches', () => {
    expect(classAxisOf('logits', [2, 10], true)).toBe(1);
    expect(classAxisOf('logits', [2, 16, 512], true)).toBe(2);
    expect(classAxisOf('hn', [2, 2, 64], false)).toBeUndefined(); // LSTM state [layers, batch, hidden]
    expect(classAxisOf('present.0.key', [2, 4, 16, 8], true)).toBeUndefined();
    expect(classAxisOf('output', [2, 1], true)).toBeUndefined(); // one class: a probability, not a choice
    expect(classAxisOf('last_hidden_state', [2, 16, 64], true)).toBeUndefined();
  });

  it('warns past the thresholds only, naming the output and what "large" means', () => {
    const at = (relativeError: number, top1Agreement?: number) => ({
      name: 'logits',
      relativeError,
      sumSquaredError: 0,
      sumSquaredDense: 0,
      elements: 1,
      nonFinite: 0,
      top1Agreement,
    });
    expect(driftWarning([at(0.49, 0.5)], DRIFT_THRESHOLDS)).toBeUndefined();
    expect(driftWarning([at(0.5)], DRIFT_THRESHOLDS)).toMatch(
      /^large drift from the dense model \(logits: relative error 50%; large means relative error >= 50% or top-1 agreement < 50%\)/,
    );
    expect(driftWarning([at(0.1, 0.25)], DRIFT_THRESHOLDS)).toMatch(/logits: top-1 agreement 25%/);
  });
});

describe('randomProbes', () => {
  function imageAndIds() {
    const g = new GraphBuilder({ opset: 17 });
    const px = g.input('pixels', DataType.FLOAT, ['batch', 3, 'h', 'w']);
    const ids = g.input('ids', DataType.INT64, ['batch', 'seq']);
    const table = g.initializer('table', DataType.FLOAT, [50, 4], new Float32Array(200));
    g.output(g.globalAveragePool(px), DataType.FLOAT);
    g.output(g.gather(table, ids), DataType.FLOAT);
    return g.build();
  }

  it('gives symbolic dims small sizes (one per name), floats from a normal, indices below the table rows', () => {
    const plan = randomProbes(imageAndIds(), 3, createRng(7)) as ProbePlan;
    expect(plan.feeds).toHaveLength(3);
    const { pixels, ids } = plan.feeds[0];
    expect(pixels.dims).toEqual([2, 3, 16, 16]);
    expect(ids.dims).toEqual([2, 16]);
    const idValues = [...(ids.data as BigInt64Array)].map(Number);
    expect(Math.max(...idValues)).toBeLessThan(50);
    expect(Math.min(...idValues)).toBeGreaterThanOrEqual(0);
    const px = pixels.data as Float32Array;
    const mean = px.reduce((a, b) => a + b, 0) / px.length;
    const variance = px.reduce((a, b) => a + (b - mean) ** 2, 0) / px.length;
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(variance).toBeGreaterThan(0.8);
    expect(variance).toBeLessThan(1.2);
    expect(plan.description).toMatch(/ids uniform below 50 \(rows of the table it indexes\)/);
    // seeded: the same seed gives the same probes, another seed others
    expect((randomProbes(imageAndIds(), 3, createRng(7)) as ProbePlan).feeds[2].pixels.data).toEqual(
      plan.feeds[2].pixels.data,
    );
    expect((randomProbes(imageAndIds(), 3, createRng(8)) as ProbePlan).feeds[0].pixels.data).not.toEqual(pixels.data);
  });

  it("says why it cannot probe an integer input whose meaning the graph does not tell (silero-vad's sr)", () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('input', DataType.FLOAT, ['batch', 512]);
    const sr = g.input('sr', DataType.INT64, []);
    const eq = g.node('Equal', [sr, g.initializer('k16000', DataType.INT64, [], BigInt64Array.of(16000n))])[0];
    g.output(g.node('Where', [eq, x, x])[0], DataType.FLOAT);
    expect(randomProbes(g.build(), 4, createRng(0))).toEqual({
      notMeasured:
        'input "sr" is int64 and mc cannot tell which values it takes (it indexes no embedding table); give --probe-dataset, or --probes 0',
    });
  });

  it('feeds an LM export as mc eval does: token ids below the vocabulary, a mask of ones, positions, an empty past', () => {
    const g = new GraphBuilder({ opset: 17 });
    const ids = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
    g.input('attention_mask', DataType.INT64, ['batch', 'total']);
    g.input('past_key_values.0.key', DataType.FLOAT, ['batch', 2, 'past', 4]);
    const emb = g.initializer('embed', DataType.FLOAT, [32, 8], new Float32Array(256));
    g.output(g.node('Gather', [emb, ids], { axis: attr.int(0) })[0], DataType.FLOAT);
    const plan = randomProbes(g.build(), 2, createRng(1)) as ProbePlan;
    const feeds = plan.feeds[0];
    expect(feeds.input_ids.dims).toEqual([2, 16]);
    expect([...(feeds.input_ids.data as BigInt64Array)].every((v) => v >= 0n && v < 32n)).toBe(true);
    expect([...(feeds.attention_mask.data as BigInt64Array)].every((v) => v === 1n)).toBe(true);
    expect(feeds['past_key_values.0.key'].dims).toEqual([2, 2, 0, 4]);
  });
});
