import { DataType } from '../onnx/dtypes.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { probeFeeds, probeShapes } from './random-feeds.js';

describe('probe inputs', () => {
  it('sizes symbolic dims (batch 1, image sides 32, others 8), the same name the same size, and skips stored inputs', () => {
    const g = new GraphBuilder({ opset: 11, irVersion: 3 });
    g.input('image', DataType.FLOAT, ['n', 3, 'h', 'w']);
    g.input('ids', DataType.INT64, ['n', 'seq']);
    g.input('mask', DataType.BOOL, ['n', 'seq']);
    const model = g.build();
    // an IR-3 export lists its initializers as graph inputs too: they are not fed
    model.inputs.push({ name: 'w', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }] } } } });
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
    expect(probeShapes(model, 512).map((s) => s.dims)).toEqual([[1, 512], [1, 4, 0, 16]]);
    expect(probeShapes(model).map((s) => s.dims)).toEqual([[1, 8], [1, 4, 0, 16]]);
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
    expect(() => probeShapes(g.build())).toThrow(/cannot make probe inputs: input "text" is not a tensor of a type mc can feed \(STRING;/);
  });
});
