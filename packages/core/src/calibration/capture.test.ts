import { createRunContext } from '../context.js';
import { DataType } from '../onnx/dtypes.js';
import { OnnxModel } from '../onnx/model.js';
import { OrtSessionFactory } from '../session/factory.js';
import type { HostTensor, McSession, SessionFactory } from '../session/types.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { buildCaptureModel, captureActivations } from './capture.js';
import { planStages } from './stages.js';
import { accumulateRows, createStats, featureNorms, hessianOf, mergeStats } from './stats.js';
import { findMatMulTargets } from './targets.js';
import type { CalibrationSet, CalibrationSample } from './types.js';
import { expectClose, naive } from './stats.fixture.js';

const W1 = Float32Array.from([1, -1, 0.5, 0, 2, 1, -1, 0.5, 0, 1, 1, -2]); // [4, 3]
const W2 = Float32Array.from([1, 0, -1, 1, 0.5, 2]); // [3, 2]

/** x [B, T, 4] -> MatMul W1 -> Relu -> MatMul W2 -> y: two stages, the second fed by the first. */
function twoLayerModel(): OnnxModel {
  const g = new GraphBuilder();
  const x = g.input('x', DataType.FLOAT, ['B', 'T', 4]);
  const w1 = g.initializer('W1', DataType.FLOAT, [4, 3], W1);
  const w2 = g.initializer('W2', DataType.FLOAT, [3, 2], W2);
  const h = g.relu(g.matMul(x, w1));
  g.output(g.matMul(h, w2), DataType.FLOAT);
  return g.build();
}

/** Samples [1, T, 4] with values from a fixed LCG (no randomness between runs). */
function samples(count: number, T: number, seed = 1): Float32Array[] {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4 - 2;
  return Array.from({ length: count }, () => Float32Array.from({ length: T * 4 }, () => Math.round(next() * 8) / 8));
}

const setOf = (xs: Float32Array[]): CalibrationSet => ({
  info: { dataset: 'test', samples: xs.length },
  samples: xs.map(
    (x): CalibrationSample => ({
      kind: 'feeds',
      feeds: { x: { type: 'float32', data: x, dims: [1, x.length / 4, 4] } },
    }),
  ),
});

/** The rows each target sees: x itself, and relu(x W1). */
function layerRows(xs: Float32Array[]): { x: number[][]; h: number[][] } {
  const x: number[][] = [];
  const h: number[][] = [];
  for (const s of xs)
    for (let r = 0; r < s.length / 4; r++) {
      const row = Array.from(s.subarray(r * 4, r * 4 + 4));
      x.push(row);
      h.push(
        [0, 1, 2].map((n) =>
          Math.max(
            0,
            row.reduce((acc, v, k) => acc + v * W1[k * 3 + n], 0),
          ),
        ),
      );
    }
  return { x, h };
}

const sessions = new OrtSessionFactory({ device: 'cpu' });
const ctx = createRunContext({ sessions, progressMode: 'silent' });

describe('findMatMulTargets / planStages', () => {
  it('finds each MatMul weight with the tensor feeding it and K, in stages by dependency', () => {
    const model = twoLayerModel();
    const targets = findMatMulTargets(model);
    expect(targets.map((t) => [t.weight, t.features])).toEqual([
      ['W1', 4],
      ['W2', 3],
    ]);
    expect(targets[0].tensor).toBe('x');
    expect(planStages(model, targets).map((s) => s.map((t) => t.weight))).toEqual([['W1'], ['W2']]);
  });

  it('puts parallel layers reading one input (q, k, v) in one stage', () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [2, 4]);
    const outs = ['Wq', 'Wk', 'Wv'].map((n) =>
      g.matMul(x, g.initializer(n, DataType.FLOAT, [4, 4], new Float32Array(16))),
    );
    const sum = g.add(g.add(outs[0], outs[1]), outs[2]);
    g.output(g.matMul(sum, g.initializer('Wo', DataType.FLOAT, [4, 4], new Float32Array(16))), DataType.FLOAT);
    const model = g.build();
    expect(planStages(model, findMatMulTargets(model)).map((s) => s.map((t) => t.weight))).toEqual([
      ['Wq', 'Wk', 'Wv'],
      ['Wo'],
    ]);
  });
});

describe('captureActivations', () => {
  const xs = samples(5, 7);
  const rows = layerRows(xs);

  it('gives the naive Σ X^T X, Σ x_j^2 and row count of every target (the second fed by the first layer)', async () => {
    const model = twoLayerModel();
    const stats = await captureActivations(model, findMatMulTargets(model), setOf(xs), ctx);
    for (const [tensor, want] of [
      ['x', naive(rows.x)],
      [findMatMulTargets(model)[1].tensor, naive(rows.h)],
    ] as const) {
      const s = stats.get(tensor)!;
      expect(s.rows).toBe(35);
      expectClose(s.xtx!, want.xtx);
      expectClose(s.sumSquares, want.ss);
    }
    // H = 2/n X^T X (spec quantization.md §5 step 1), Wanda's norms = sqrt(Σ x^2)
    expectClose(
      hessianOf(stats.get('x')!),
      naive(rows.x).xtx.map((v) => (2 / 35) * v),
    );
    expectClose(featureNorms(stats.get('x')!), naive(rows.x).ss.map(Math.sqrt));
  });

  it('with hessian: false keeps only the sums of squares', async () => {
    const model = twoLayerModel();
    const s = (await captureActivations(model, findMatMulTargets(model, ['W2']), setOf(xs), ctx, { hessian: false }))
      .values()
      .next().value!;
    expect(s.xtx).toBeUndefined();
    expect(s.rows).toBe(35);
    expectClose(s.sumSquares, naive(rows.h).ss);
  });

  it('captures on the model as it is now: an edited first layer changes what the second sees', async () => {
    const model = twoLayerModel();
    const [t1, t2] = findMatMulTargets(model);
    model.setInitializer('W1', DataType.FLOAT, [4, 3], new Float32Array(12)); // layer 1 now outputs zeros
    const s = (await captureActivations(model, [t2], setOf(xs), ctx)).get(t2.tensor)!;
    expect(Array.from(s.xtx!)).toEqual(new Array(9).fill(0));
    expect(model.outputs.length).toBe(1); // the model itself is not edited
    expect(t1.weight).toBe('W1');
  });

  it('never brings activations back when a Hessian is wanted: onnxruntime returns K x K per window', async () => {
    const largest: number[] = [];
    const recording: SessionFactory = {
      requested: 'cpu',
      async create(m, o) {
        const inner: McSession = await sessions.create(m, o);
        return {
          ...inner,
          async run(feeds: Record<string, HostTensor>, names?: readonly string[]) {
            const out = await inner.run(feeds, names);
            largest.push(Math.max(...Object.values(out).map((t) => t.data.length)));
            return out;
          },
          release: () => inner.release(),
        };
      },
    };
    const model = twoLayerModel();
    const big = samples(3, 4000); // 4000 rows x 4 per window
    const stats = await captureActivations(
      model,
      findMatMulTargets(model),
      setOf(big),
      createRunContext({ sessions: recording, progressMode: 'silent' }),
    );
    expect(largest).toHaveLength(3);
    expect(Math.max(...largest)).toBe(16); // 4 x 4, not 16000
    expect(stats.get('x')!.rows).toBe(12000);
  });

  it('runs only the nodes a stage needs', () => {
    const model = twoLayerModel();
    const { bytes } = buildCaptureModel(model, [findMatMulTargets(model)[0]], true);
    const copy = OnnxModel.fromBytes(bytes);
    expect(copy.nodes.map((n) => n.opType)).toEqual(['Cast', 'Reshape', 'Transpose', 'MatMul', 'Shape']);
  });

  it('merges: statistics of two halves of the samples equal those of all of them', async () => {
    const model = twoLayerModel();
    const targets = findMatMulTargets(model);
    const whole = await captureActivations(model, targets, setOf(xs), ctx);
    const a = await captureActivations(model, targets, setOf(xs.slice(0, 2)), ctx);
    const b = await captureActivations(model, targets, setOf(xs.slice(2)), ctx);
    for (const [tensor, s] of whole) {
      const m = mergeStats(a.get(tensor)!, b.get(tensor)!);
      expect(m.rows).toBe(s.rows);
      expectClose(m.xtx!, s.xtx!, 1e-12);
      expectClose(m.sumSquares, s.sumSquares, 1e-12);
    }
  });
});

describe('accumulateRows (float64 reference)', () => {
  const K = 5;
  const x = Float64Array.from({ length: 9 * K }, (_, i) => Math.sin(i * 1.7) * (i % 3));

  it('equals the naive sums', () => {
    const s = createStats(K, true);
    accumulateRows(s, x, 9);
    const rows = Array.from({ length: 9 }, (_, r) => Array.from(x.subarray(r * K, r * K + K)));
    const want = naive(rows);
    expectClose(s.xtx!, want.xtx, 1e-14);
    expectClose(s.sumSquares, want.ss, 1e-14);
    expect(s.rows).toBe(9);
  });

  it('feeding rows in one call, in chunks, or merged from halves gives the same sums', () => {
    const one = createStats(K, true);
    accumulateRows(one, x, 9);
    const chunked = createStats(K, true);
    accumulateRows(chunked, x.subarray(0, 4 * K), 4);
    accumulateRows(chunked, x.subarray(4 * K), 5);
    const a = createStats(K, true);
    const b = createStats(K, true);
    accumulateRows(a, x.subarray(0, 4 * K), 4);
    accumulateRows(b, x.subarray(4 * K), 5);
    const merged = mergeStats(a, b);
    for (const s of [chunked, merged]) {
      expectClose(s.xtx!, one.xtx!, 1e-15);
      expectClose(s.sumSquares, one.sumSquares, 1e-15);
      expect(s.rows).toBe(9);
    }
  });
});
