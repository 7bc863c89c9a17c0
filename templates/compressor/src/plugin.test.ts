/**
 * The compressor on a real (tiny) ONNX model built in memory: exact weights after compression, the
 * tensors it must leave alone, and onnxruntime running the result. REPLACE the numbers with your
 * method's; keep the shape of the test.
 */
import { createRunContext, DataType, OrtSessionFactory, parseParams, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { RoundWeightsCompressor } from './plugin.js';

/** y = x · W + b with W 2x2 and b a bias (not a weight of MatMul: it must stay as it is). */
function tinyModel(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['batch', 2]);
  const w = g.initializer('w', DataType.FLOAT, [2, 2], new Float32Array([1.1, 1.125, 1.375, -0.3]));
  const b = g.initializer('b', DataType.FLOAT, [2], new Float32Array([1.1, 1.1]));
  g.output(g.add(g.matMul(x, w), b), DataType.FLOAT, ['batch', 2]);
  return g.build();
}

const sessions = new OrtSessionFactory({ device: 'cpu' });
const ctx = createRunContext({ json: true, sessions });
const method = new RoundWeightsCompressor();

describe('round-weights', () => {
  it('rounds the MatMul weight to the grid, leaves the bias, and reports what it did', async () => {
    const model = tinyModel();
    const params = parseParams(method.params, { 'mantissa-bits': 2 }, method.id);
    const report = await method.compress(model, params, ctx);

    // bits = 2: 1.1 -> 1, 1.125 -> 1 (tie, even), 1.375 -> 1.5 (tie, even), -0.3 -> -0.3125
    expect([...model.getInitializer('w')!.readFloat32()]).toEqual([1, 1, 1.5, -0.3125]);
    expect([...model.getInitializer('b')!.readFloat32()]).toEqual([Math.fround(1.1), Math.fround(1.1)]);
    expect(report.tensors.map((t) => [t.name, t.action, t.elements, t.bytesAfter])).toEqual([['w', 'rounded', 4, 16]]);
    expect(report.bitsPerWeight).toBe(32);
  });

  it('gives a model that onnxruntime runs, with the outputs of the rounded weights', async () => {
    const model = tinyModel();
    await method.compress(model, parseParams(method.params, { 'mantissa-bits': 2 }, method.id), ctx);
    const session = await sessions.create(model.toBytes());
    try {
      const { [session.outputNames[0]]: y } = await session.run({
        x: { type: 'float32', data: new Float32Array([1, 2]), dims: [1, 2] },
      });
      // [1, 2] · [[1, 1], [1.5, -0.3125]] = [4, 0.375], exact in float32; then + fround(1.1), rounded once
      expect([...y.data]).toEqual([Math.fround(4 + Math.fround(1.1)), Math.fround(0.375 + Math.fround(1.1))]);
    } finally {
      await session.release();
    }
  });

  it('uses the declared default, and refuses a model with nothing to round', async () => {
    expect(parseParams(method.params, {}, method.id)).toEqual({ 'mantissa-bits': 7 });
    const g = new GraphBuilder();
    g.output(g.relu(g.input('x', DataType.FLOAT, [2])), DataType.FLOAT, [2]);
    await expect(method.compress(g.build(), { 'mantissa-bits': 7 }, ctx)).rejects.toMatchObject({
      code: 'E_NOTHING_TO_COMPRESS',
      exitCode: 2,
    });
  });
});
