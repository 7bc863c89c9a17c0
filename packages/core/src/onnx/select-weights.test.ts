/**
 * selectWeights: weights by their readers' roles, and with `vectors` the rank-1 parameters (biases,
 * norm scales) too, never a BatchNorm running statistic or a tensor read as data.
 */
import { DataType } from './dtypes.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { selectWeights } from './select-weights.js';

const f32 = (n: number) => new Float32Array(n).fill(0.5);

function model() {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 4, 8, 8]);
  const c = g.conv(x, g.initializer('conv.w', DataType.FLOAT, [16, 4, 3, 3], f32(16 * 4 * 9)), g.initializer('conv.b', DataType.FLOAT, [16], f32(16)), { pads: [1, 1, 1, 1] });
  const [bn] = g.node('BatchNormalization', [
    c,
    g.initializer('bn.scale', DataType.FLOAT, [16], f32(16)),
    g.initializer('bn.bias', DataType.FLOAT, [16], f32(16)),
    g.initializer('bn.mean', DataType.FLOAT, [16], f32(16)),
    g.initializer('bn.var', DataType.FLOAT, [16], f32(16)),
  ]);
  const flat = g.flatten(g.globalAveragePool(bn));
  const h = g.add(g.matMul(flat, g.initializer('fc.w', DataType.FLOAT, [16, 12], f32(16 * 12))), g.initializer('fc.b', DataType.FLOAT, [12], f32(12)));
  // a rank-1 tensor read as data (the Concat of two vectors), not as a parameter
  const [cat] = g.node('Concat', [h, g.initializer('table', DataType.FLOAT, [1, 12], f32(12))], { axis: 0 });
  g.output(cat, DataType.FLOAT);
  return g.build();
}

describe('selectWeights', () => {
  it('takes the weights only by default; a bias is no weight input', () => {
    const { candidates, skipped } = selectWeights(model(), { minSize: 10, include: [], exclude: [] });
    expect(candidates.map((c) => c.init.name).sort()).toEqual(['conv.w', 'fc.w']);
    expect(skipped.find((s) => s.init.name === 'conv.b')?.reason).toMatch(/not a weight input \(feeds Conv input 2/);
  });

  it('with vectors: biases and norm scale/shift too, never the running mean and variance or data', () => {
    const { candidates, skipped } = selectWeights(model(), { minSize: 10, include: [], exclude: [], vectors: true });
    expect(candidates.map((c) => c.init.name).sort()).toEqual(['bn.bias', 'bn.scale', 'conv.b', 'conv.w', 'fc.b', 'fc.w']);
    const why = (n: string) => skipped.find((s) => s.init.name === n)?.reason;
    expect(why('bn.mean')).toMatch(/BatchNormalization input 3.*not as a bias or norm parameter/);
    expect(why('bn.var')).toMatch(/BatchNormalization input 4/);
    expect(why('table')).toMatch(/not a weight input \(feeds Concat/);
  });

  it('with vectors, the size floor and the globs still apply', () => {
    const { candidates } = selectWeights(model(), { minSize: 14, include: [], exclude: ['bn.*'], vectors: true });
    expect(candidates.map((c) => c.init.name).sort()).toEqual(['conv.b', 'conv.w', 'fc.w']); // fc.b has 12 < 14
  });
});
