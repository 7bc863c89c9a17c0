/**
 * `mc decompress` for int8: dense weights equal the dequantized codes bit for bit, and the dense
 * model computes what the quantized one computed.
 */
import { DataType, ErrorCodes, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { dequantizeWeights } from './decompress.js';
import { float32ToFloat16 as toFloat16Bits } from '@mc-kit/core';
import { dequantize } from './math.js';
import { float16MatMul, MLP_INPUT, mlp } from './models.fixture.js';
import { quantizeWeights, type Int8Options } from './rewrite.js';
import { cloneModel, expectUserError, runModel, seededWeights, testContext, UNFUSED } from './testkit.fixture.js';

const opts = (o: Partial<Int8Options> = {}): Int8Options => ({
  scheme: 'sym',
  granularity: 'channel',
  minSize: 1024,
  include: [],
  exclude: [],
  ...o,
});
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** What the DequantizeLinear writing `name` stands for, computed by math.ts from the stored tensors. */
function expectedDense(model: OnnxModel, name: string, outType: 'float32' | 'float16' = 'float32'): Float32Array {
  const q = model.getInitializer(`${name}_q`)!;
  const s = model.getInitializer(`${name}_scale`)!;
  const z = model.getInitializer(`${name}_zero_point`)!;
  const node = model.nodes.find((n) => n.output?.[0] === name)!;
  const axis = s.dims.length === 0 ? undefined : Number(node.attribute!.find((a) => a.name === 'axis')!.i);
  return dequantize(q.readTyped() as Int8Array, q.dims, s.readFloat32(), z.readTyped() as Int8Array, axis, outType);
}

describe('int8 decompress', () => {
  it.each([
    ['sym', 'channel'],
    ['asym', 'channel'],
    ['sym', 'tensor'],
    ['asym', 'tensor'],
  ] as const)(
    '%s per %s: restores dense float32 weights bit for bit and the same outputs',
    async (scheme, granularity) => {
      const model = mlp();
      await quantizeWeights(model, opts({ scheme, granularity }), testContext());
      const quantized = cloneModel(model);
      const expected = Object.fromEntries(['w1', 'w2', 'w3'].map((w) => [w, expectedDense(quantized, w)]));

      const restored = await dequantizeWeights(model, testContext());
      expect(restored.sort()).toEqual(['w1', 'w2', 'w3']);
      expect(model.nodes.map((n) => n.opType)).not.toContain('DequantizeLinear');
      expect(model.initializerNames().filter((n) => /_(q|scale|zero_point)$/.test(n))).toEqual([]);
      for (const w of ['w1', 'w2', 'w3']) {
        const init = model.getInitializer(w)!;
        expect([init.dataType, init.dims]).toEqual([DataType.FLOAT, quantized.getInitializer(`${w}_q`)!.dims]);
        expect(bits(init.readFloat32())).toEqual(bits(expected[w]));
      }
      const [dense, q] = await Promise.all([
        runModel(model, MLP_INPUT, UNFUSED),
        runModel(quantized, MLP_INPUT, UNFUSED),
      ]);
      const y = model.outputs[0].name!;
      expect(dense[y].data).toEqual(q[y].data);
    },
  );

  it('restores float16 weights in float16', async () => {
    const { model } = float16MatMul();
    await quantizeWeights(model, opts(), testContext());
    const expected = Uint16Array.from(expectedDense(model, 'w', 'float16'), (v) => toFloat16Bits(v));
    await dequantizeWeights(model, testContext());
    const w = model.getInitializer('w')!;
    expect(w.dataType).toBe(DataType.FLOAT16);
    expect(w.readTyped()).toEqual(expected);
  });

  it('says so when there is nothing int8 to undo (a float model, or one already decompressed)', async () => {
    await expectUserError(dequantizeWeights(mlp(), testContext()), ErrorCodes.NOT_COMPRESSED);
    const model = mlp();
    await quantizeWeights(model, opts(), testContext());
    await dequantizeWeights(model, testContext());
    await expectUserError(dequantizeWeights(model, testContext()), ErrorCodes.NOT_COMPRESSED);
  });

  it('leaves DequantizeLinear nodes that int8 did not write alone', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, [2, 32]);
    const codes = g.initializer(
      'codes',
      DataType.INT8,
      [32, 32],
      Int8Array.from(seededWeights(1024, 61, 100), Math.round),
    );
    const scale = g.initializer('s', DataType.FLOAT, [], new Float32Array([0.01]));
    const foreign = g.node('DequantizeLinear', [codes, scale])[0];
    const w = g.initializer('w', DataType.FLOAT, [32, 32], seededWeights(1024, 62));
    g.output(g.matMul(g.matMul(x, foreign), w), DataType.FLOAT);
    const model = g.build();
    await expectUserError(dequantizeWeights(g.build(), testContext()), ErrorCodes.NOT_COMPRESSED);
    await quantizeWeights(model, opts(), testContext());
    expect(await dequantizeWeights(model, testContext())).toEqual(['w']);
    expect(model.nodes.filter((n) => n.opType === 'DequantizeLinear').map((n) => n.input)).toEqual([['codes', 's']]);
  });
});
