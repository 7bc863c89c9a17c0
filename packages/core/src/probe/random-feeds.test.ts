import { DataType } from '../onnx/dtypes.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { createRng } from '../rng.js';
import {
  CHECK_RECIPE,
  DRIFT_RECIPE,
  probeFeeds,
  probeShapes,
  randomFeeds,
  randomProbes,
  shapeInputs,
  type ProbePlan,
} from './random-feeds.js';

describe('probe inputs', () => {
  it('sizes symbolic dims (batch 1, image sides 32, others 8), the same name the same size, and skips stored inputs', () => {
    const g = new GraphBuilder({ opset: 11, irVersion: 3 });
    g.input('image', DataType.FLOAT, ['n', 3, 'h', 'w']);
    g.input('ids', DataType.INT64, ['n', 'seq']);
    g.input('mask', DataType.BOOL, ['n', 'seq']);
    const model = g.build();
    // an IR-3 export lists its initializers as graph inputs too: they are not fed
    model.inputs.push({
      name: 'w',
      type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }] } } },
    });
    model.setInitializer('w', DataType.FLOAT, [2], Float32Array.of(1, 2));
    expect(probeShapes(model)).toEqual([
      { name: 'image', type: 'float32', dims: [1, 3, 32, 32] },
      { name: 'ids', type: 'int64', dims: [1, 8] },
      { name: 'mask', type: 'bool', dims: [1, 8] },
    ]);
  });

  it('other plans size every non-batch symbolic dimension alike; a past length is 0 in all', () => {
    const g = new GraphBuilder({ opset: 17 });
    g.input('audio', DataType.FLOAT, ['batch', 'samples']);
    g.input('past_key', DataType.FLOAT, ['batch', 4, 'past_sequence_length', 16]);
    const model = g.build();
    expect(probeShapes(model, 512).map((s) => s.dims)).toEqual([
      [1, 512],
      [1, 4, 0, 16],
    ]);
    expect(probeShapes(model).map((s) => s.dims)).toEqual([
      [1, 8],
      [1, 4, 0, 16],
    ]);
  });

  it('is seeded: the same seed the same feeds, another seed others', () => {
    const g = new GraphBuilder({ opset: 11 });
    g.input('x', DataType.FLOAT, [2, 5]);
    const model = g.build();
    const [a] = probeFeeds(model, 1, 5);
    const [b] = probeFeeds(model, 1, 5);
    const [c] = probeFeeds(model, 1, 6);
    expect(Array.from(a.x.data as Float32Array)).toEqual(Array.from(b.x.data as Float32Array));
    expect(Array.from(a.x.data as Float32Array)).not.toEqual(Array.from(c.x.data as Float32Array));
    expect(Math.max(...Array.from(a.x.data as Float32Array, Math.abs))).toBeLessThan(1);
  });

  it('refuses a type it cannot make, naming the input', () => {
    const g = new GraphBuilder({ opset: 11 });
    g.input('text', DataType.STRING, [1]);
    expect(() => probeShapes(g.build())).toThrow(
      /cannot make probe inputs: input "text" is not a tensor of a type mc can feed \(STRING;/,
    );
  });
});

describe('randomFeeds: one generator, two recipes', () => {
  // image [n, 3, h, w], token ids indexing a 50-row table, and a mode flag whose meaning the graph does not tell
  function model() {
    const g = new GraphBuilder({ opset: 17 });
    const px = g.input('pixels', DataType.FLOAT, ['n', 3, 'h', 'w']);
    const ids = g.input('ids', DataType.INT64, ['n', 'seq']);
    const mode = g.input('mode', DataType.INT64, []);
    const table = g.initializer('table', DataType.FLOAT, [50, 4], new Float32Array(200));
    g.output(g.globalAveragePool(px), DataType.FLOAT);
    g.output(g.gather(table, ids), DataType.FLOAT);
    g.output(g.node('Identity', [mode])[0], DataType.INT64);
    return g.build();
  }

  it('the check recipe: batch 1, image sides 32, others 8, floats in [-1, 1), indices below the rows, an unknown int 0 or 1', () => {
    const plan = randomFeeds(model(), 4, createRng(3), CHECK_RECIPE) as ProbePlan;
    const { pixels, ids } = plan.feeds[0];
    expect([pixels.dims, ids.dims]).toEqual([
      [1, 3, 32, 32],
      [1, 8],
    ]);
    expect(Math.max(...Array.from(pixels.data as Float32Array, Math.abs))).toBeLessThan(1);
    const idValues = plan.feeds.flatMap((f) => [...(f.ids.data as BigInt64Array)].map(Number));
    expect(Math.max(...idValues)).toBeLessThan(50);
    expect(Math.max(...idValues)).toBeGreaterThan(1); // the table's rows, not just 0/1
    expect(plan.feeds.every((f) => [0n, 1n].includes((f.mode.data as BigInt64Array)[0]))).toBe(true);
    expect(plan.description).toMatch(
      /^floats uniform in \[-1, 1\); ids uniform below 50 .*; mode 0 or 1; inputs pixels \[1, 3, 32, 32\]/,
    );
  });

  it('the drift recipe: batch 2, 16 everywhere else, and no guess at the unknown int', () => {
    expect(randomFeeds(model(), 2, createRng(3), DRIFT_RECIPE)).toEqual({
      notMeasured: expect.stringMatching(/^input "mode" is int64 and mc cannot tell which values it takes/),
    });
    const shaped = shapeInputs(model(), DRIFT_RECIPE);
    expect('shapes' in shaped && shaped.shapes.map((s) => s.dims)).toEqual([[2, 3, 16, 16], [2, 16], []]);
  });

  it('probeFeeds (the opset check) and randomProbes (drift) are that generator with their recipes', () => {
    const g = new GraphBuilder({ opset: 17 });
    g.output(g.relu(g.input('x', DataType.FLOAT, ['n', 'k'])), DataType.FLOAT);
    const m = g.build();
    expect(probeFeeds(m, 2, 9)).toEqual((randomFeeds(m, 2, createRng(9), CHECK_RECIPE) as ProbePlan).feeds);
    expect((randomProbes(m, 2, createRng(9)) as ProbePlan).feeds).toEqual(
      (randomFeeds(m, 2, createRng(9), DRIFT_RECIPE) as ProbePlan).feeds,
    );
  });
});
