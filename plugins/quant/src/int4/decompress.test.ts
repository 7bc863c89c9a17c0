/**
 * `mc decompress` for int4: every form int4 writes (MatMulNBits, blocked DequantizeLinear with and
 * without the Conv Reshape, nibbles, the int8 fallback) goes back to a dense float initializer equal, bit
 * for bit, to the dequantized values that testkit.fixture.ts computes from the stored tensors.
 */
import { DataType, ErrorCodes, type OnnxModel } from '@mc-kit/core';
import { float16MatMul, mlp, convNet, CONV_INPUT, MLP_INPUT } from '../int8/models.fixture.js';
import { cloneModel, expectUserError, relativeMaxDiff, runModel, testContext } from '../int8/testkit.fixture.js';
import { dequantizeWeights, findInt8Nodes } from '../int8/decompress.js';
import { quantizeWeights } from '../int8/rewrite.js';
import { dequantizeInt4Weights, weightNameOf } from './decompress.js';
import { quantizeInt4Weights, type Int4Options } from './rewrite.js';
import { denseReference, MATMULS_INPUT, matmuls } from './testkit.fixture.js';

const opts = (o: Partial<Int4Options> = {}): Int4Options => ({
  scheme: 'sym',
  blockSize: 32,
  accuracyLevel: 0,
  searchScale: false,
  minSize: 1024,
  include: [],
  exclude: [],
  ...o,
});
const bits = (a: ArrayBufferView) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

/** Quantize, decompress, and check weights (bit for bit), graph and outputs against the reference. */
async function roundTrip(
  make: () => OnnxModel,
  o: Partial<Int4Options>,
  feeds: Parameters<typeof runModel>[1],
  weights: string[],
) {
  const original = make();
  const model = make();
  await quantizeInt4Weights(model, opts(o), testContext());
  const quantized = cloneModel(model);
  const reference = denseReference(original, quantized);
  const restored = await dequantizeInt4Weights(model, testContext());
  expect(restored.sort()).toEqual([...weights].sort());
  expect(model.nodes.map((n) => n.opType).sort()).toEqual(original.nodes.map((n) => n.opType).sort()); // the original ops again
  expect(model.initializerNames().sort()).toEqual(original.initializerNames().sort()); // no _q4 / _scales / _zp / _shape left
  for (const w of weights) {
    const [got, want] = [model.getInitializer(w)!, reference.getInitializer(w)!];
    expect([got.dataType, got.dims]).toEqual([want.dataType, want.dims]);
    expect(bits(got.readTyped())).toEqual(bits(want.readTyped()));
  }
  // The dense model computes what the quantized one did; not always to the last bit: a Conv whose
  // weight is computed (DequantizeLinear, Reshape) runs without onnxruntime's prepacked weights.
  const [dense, q] = await Promise.all([runModel(model, feeds), runModel(quantized, feeds)]);
  for (const y of Object.keys(q))
    expect(relativeMaxDiff(dense[y].data as Float32Array, q[y].data as Float32Array)).toBeLessThanOrEqual(1e-6);
  return model;
}

describe('int4 decompress', () => {
  it.each(['sym', 'asym'] as const)(
    'MatMulNBits (%s, K with padding, a weight read by two MatMuls) -> MatMul with the dequantized weight',
    async (scheme) => {
      await roundTrip(matmuls, { scheme }, MATMULS_INPUT, ['a', 'shared']);
    },
  );

  it.each(['sym', 'asym'] as const)(
    'blocked DequantizeLinear (%s, Gemm transB=1 and 0) and MatMulNBits in one model',
    async (scheme) => {
      await roundTrip(mlp, { scheme }, MLP_INPUT, ['w1', 'w2', 'w3']);
    },
  );

  it('the Conv weight: DequantizeLinear and Reshape fold back into [M, C, kh, kw]', async () => {
    const model = await roundTrip(convNet, {}, CONV_INPUT, ['conv.weight']);
    expect(model.getInitializer('conv.weight')!.dims).toEqual([64, 3, 3, 3]);
  });

  it('restores float16 weights in float16', async () => {
    const { model } = float16MatMul();
    const reference = denseReference(
      float16MatMul().model,
      (await quantizeInt4Weights(model, opts(), testContext()), model),
    );
    await dequantizeInt4Weights(model, testContext());
    const w = model.getInitializer('w')!;
    expect([w.dataType, w.dims]).toEqual([DataType.FLOAT16, [32, 64]]);
    expect(w.readTyped()).toEqual(reference.getInitializer('w')!.readTyped());
  });

  it.each(['sym', 'asym'] as const)(
    'undoes nibbles (--keep-opset at 11, %s: Gemm transB=1 and 0) beside MatMulNBits',
    async (scheme) => {
      await roundTrip(() => mlp({ opset: 11, irVersion: 6 }), { scheme, keepOpset: true }, MLP_INPUT, [
        'w1',
        'w2',
        'w3',
      ]);
    },
  );

  it('undoes nibbles of a Conv weight (--keep-opset), shared constants included', async () => {
    const model = await roundTrip(convNet, { keepOpset: true }, CONV_INPUT, ['conv.weight']);
    expect(model.getMetadata('mc.quant.decode')).toBe('');
  });

  it('in a chain int8 -> int4, each decompress undoes only its own nodes', async () => {
    const model = mlp();
    await quantizeWeights(
      model,
      { scheme: 'sym', granularity: 'channel', minSize: 1024, include: ['w2'], exclude: [] },
      testContext(),
    );
    const report = await quantizeInt4Weights(model, opts(), testContext());
    expect(report.notes[0]).toMatch(/1 as MatMulNBits .*, 1 as blocked DequantizeLinear, 0 as nibbles .*, 0 as int8/); // w1, w3
    expect(findInt8Nodes(model).map((f) => f.name)).toEqual(['w2']);
    expect((await dequantizeInt4Weights(model, testContext())).sort()).toEqual(['w1', 'w3']);
    expect(model.getInitializer('w2_q')!.dataType).toBe(DataType.INT8);
    expect(await dequantizeWeights(model, testContext())).toEqual(['w2']);
    expect(model.nodes.some((n) => n.opType === 'DequantizeLinear' || n.opType === 'MatMulNBits')).toBe(false);
  });

  it('says so when there is nothing int4 to undo', async () => {
    await expectUserError(dequantizeInt4Weights(mlp(), testContext()), ErrorCodes.NOT_COMPRESSED);
    const model = matmuls();
    await quantizeInt4Weights(model, opts(), testContext());
    await dequantizeInt4Weights(model, testContext());
    await expectUserError(dequantizeInt4Weights(model, testContext()), ErrorCodes.NOT_COMPRESSED);
  });

  it('finds the weight name behind the codes, uniqueName suffixes included', () => {
    expect(['w_q4', 'a.b_q4_2', 'x_q4b', 'q4', 'w_q8'].map(weightNameOf)).toEqual([
      'w',
      'a.b',
      undefined,
      undefined,
      undefined,
    ]);
  });
});
