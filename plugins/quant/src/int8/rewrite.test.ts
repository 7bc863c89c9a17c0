/**
 * int8 on tiny real models: what is selected, what the graph looks like afterwards, and that
 * onnxruntime-node runs it with the outputs of the float model built from the dequantized weights.
 */
import { DataType, ErrorCodes, type OnnxModel, type TensorReport } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { float32ToFloat16 as toFloat16Bits } from '@mc-kit/core';
import { dequantize } from './math.js';
import { CONV_INPUT, convNet, float16MatMul, MLP_INPUT, mlp, TIED_INPUT, tiedEmbedding } from './models.fixture.js';
import { quantizeWeights, type Int8Options } from './rewrite.js';
import {
  denseReference,
  expectUserError,
  exposeTensor,
  relativeMaxDiff,
  runModel,
  seededWeights,
  testContext,
  UNFUSED,
} from './testkit.fixture.js';

const defaults: Int8Options = { scheme: 'sym', granularity: 'channel', minSize: 1024, include: [], exclude: [] };
const opts = (o: Partial<Int8Options> = {}): Int8Options => ({ ...defaults, ...o });

const byName = (tensors: readonly TensorReport[]) => Object.fromEntries(tensors.map((t) => [t.name, t]));
const dql = (model: OnnxModel, output: string) =>
  model.nodes.find((n) => n.opType === 'DequantizeLinear' && n.output?.[0] === output);
const axisOf = (model: OnnxModel, output: string) => {
  const a = dql(model, output)?.attribute?.find((x) => x.name === 'axis');
  return a === undefined ? undefined : Number(a.i);
};

/** Quantized and reference outputs for the same feeds. */
async function compareWithReference(original: OnnxModel, quantized: OnnxModel, feeds: Parameters<typeof runModel>[1]) {
  const [got, want] = await Promise.all([
    runModel(quantized, feeds, UNFUSED),
    runModel(denseReference(original, quantized), feeds, UNFUSED),
  ]);
  for (const name of Object.keys(want)) {
    expect(relativeMaxDiff(got[name].data as Float32Array, want[name].data as Float32Array)).toBeLessThanOrEqual(1e-5);
  }
  return { got, want };
}

describe('int8 on an MLP (MatMul, Gemm transB=1 and 0, biases, a small weight)', () => {
  it('quantizes the three weights per output channel and leaves biases and the small weight float', async () => {
    const original = mlp();
    const model = mlp();
    const result = await quantizeWeights(model, opts(), testContext());
    const t = byName(result.tensors);
    expect(result.tensors.map((x) => [x.name, x.action])).toEqual([
      ['w1', 'int8'],
      ['b1', 'skipped'],
      ['w2', 'int8'],
      ['b2', 'skipped'],
      ['w3', 'int8'],
      ['w4', 'skipped'],
    ]);
    expect(t.b1.reason).toBe('not a weight input (feeds Add input 1 (Add_0))');
    expect(t.b2.reason).toBe('not a weight input (feeds Gemm input 2 (Gemm_0))');
    expect(t.w4.reason).toBe('256 elements < --min-size 1024');
    expect([axisOf(model, 'w1'), axisOf(model, 'w2'), axisOf(model, 'w3')]).toEqual([1, 0, 1]);

    // The float weight is gone; codes keep its shape; one scale and zero point per output channel.
    expect(model.getInitializer('w1')).toBeUndefined();
    const q = model.getInitializer('w1_q')!;
    expect([q.dataType, q.dims]).toEqual([DataType.INT8, [8, 160]]);
    expect([model.getInitializer('w1_scale')!.dataType, model.getInitializer('w1_scale')!.dims]).toEqual([
      DataType.FLOAT,
      [160],
    ]);
    const zp = model.getInitializer('w1_zero_point')!;
    expect([zp.dataType, zp.dims, Array.from(zp.readTyped() as Int8Array).every((v) => v === 0)]).toEqual([
      DataType.INT8,
      [160],
      true,
    ]);
    expect(dql(model, 'w1')!.input).toEqual(['w1_q', 'w1_scale', 'w1_zero_point']);
    expect(model.getInitializer('b1')!.dataType).toBe(DataType.FLOAT);

    // By hand: codes 8 * (1280 + 2560 + 1024) bits; 160 + 16 + 64 channels at 32 (scale) + 8 (zero point) bits.
    expect(result.bitsPerWeight).toBeCloseTo((8 * 4864 + 40 * 240) / 4864, 12);
    expect(t.w2).toMatchObject({
      elements: 2560,
      bytesBefore: 10240,
      bytesAfter: 2560 + 16 * 5,
      bitsPerWeight: 8 + (40 * 16) / 2560,
    });
    expect(result.notes.join('\n')).not.toMatch(/opset/);

    await compareWithReference(original, model, MLP_INPUT);
  });

  it.each([
    ['sym', 'channel'],
    ['asym', 'channel'],
    ['sym', 'tensor'],
    ['asym', 'tensor'],
  ] as const)('onnxruntime dequantizes %s per %s exactly as math.ts does', async (scheme, granularity) => {
    const original = mlp();
    const model = mlp();
    const result = await quantizeWeights(model, opts({ scheme, granularity }), testContext());
    const channels = granularity === 'channel' ? 240 : 3;
    expect(result.bitsPerWeight).toBeCloseTo((8 * 4864 + 40 * channels) / 4864, 12);
    const reference = denseReference(original, model);
    for (const w of ['w1', 'w2', 'w3']) exposeTensor(model, w, DataType.FLOAT);
    const out = await runModel(model, MLP_INPUT);
    for (const w of ['w1', 'w2', 'w3']) {
      expect(out[w].data).toEqual(reference.getInitializer(w)!.readFloat32());
    }
    const codes = model.getInitializer('w2_q')!;
    expect(codes.dataType).toBe(scheme === 'sym' ? DataType.INT8 : DataType.UINT8);
    expect(model.getInitializer('w2_scale')!.dims).toEqual(granularity === 'channel' ? [16] : []);
    expect(axisOf(model, 'w2')).toBe(granularity === 'channel' ? 0 : undefined);
    if (scheme === 'asym')
      expect(Array.from(model.getInitializer('w2_zero_point')!.readTyped() as Uint8Array).some((z) => z > 0)).toBe(
        true,
      );
    await compareWithReference(original, model, MLP_INPUT);
  });

  it('selects by --include / --exclude globs on initializer and node names', async () => {
    const a = await quantizeWeights(mlp(), opts({ exclude: ['w2'] }), testContext());
    expect(byName(a.tensors).w2).toMatchObject({ action: 'skipped', reason: 'excluded by --exclude w2' });
    expect(a.tensors.filter((x) => x.action === 'int8').map((x) => x.name)).toEqual(['w1', 'w3']);

    // Gemm_* matches the consumer node names (Gemm_0 reads w2, Gemm_1 reads w3).
    const b = await quantizeWeights(mlp(), opts({ include: ['Gemm_*'] }), testContext());
    expect(b.tensors.filter((x) => x.action === 'int8').map((x) => x.name)).toEqual(['w2', 'w3']);
    expect(byName(b.tensors).w1.reason).toBe('not matched by --include Gemm_*');

    const c = await quantizeWeights(mlp(), opts({ include: ['w*'], exclude: ['Gemm_1'] }), testContext());
    expect(c.tensors.filter((x) => x.action === 'int8').map((x) => x.name)).toEqual(['w1', 'w2']);
  });

  it('honours --min-size', async () => {
    const low = await quantizeWeights(mlp(), opts({ minSize: 256 }), testContext());
    expect(low.tensors.filter((x) => x.action === 'int8').map((x) => x.name)).toEqual(['w1', 'w2', 'w3', 'w4']);
    const high = await quantizeWeights(mlp(), opts({ minSize: 2000 }), testContext());
    expect(high.tensors.filter((x) => x.action === 'int8').map((x) => x.name)).toEqual(['w2']);
  });

  it('says what to lower when nothing qualifies, and leaves the model alone', async () => {
    const model = mlp();
    const before = model.toBytes();
    const e = await expectUserError(
      quantizeWeights(model, opts({ minSize: 100000 }), testContext()),
      ErrorCodes.NOTHING_TO_COMPRESS,
    );
    expect(e.message).toMatch(/the largest, w2 with 2,560 elements: fewer than --min-size 100000 elements\)$/);
    expect(e.hint).toBe('lower --min-size (now 100000) to take them');
    expect(model.toBytes()).toEqual(before);
  });

  it('refuses NaN weights naming the tensor, before touching the graph', async () => {
    const w3 = seededWeights(1024, 5);
    w3[700] = NaN;
    const model = mlp({ w3 });
    const before = model.toBytes();
    const e = await expectUserError(quantizeWeights(model, opts(), testContext()), ErrorCodes.BAD_MODEL);
    expect(e.message).toMatch(/weight w3 holds NaN at element 700/);
    expect(model.toBytes()).toEqual(before);
  });

  it('stops on Ctrl-C before touching the graph', async () => {
    const model = mlp();
    const before = model.toBytes();
    const ac = new AbortController();
    ac.abort();
    await expect(quantizeWeights(model, opts(), testContext(ac.signal))).rejects.toMatchObject({
      code: ErrorCodes.ABORTED,
    });
    expect(model.toBytes()).toEqual(before);
  });
});

describe('int8 on other consumers', () => {
  it('Conv: one scale per output channel (axis 0), bias stays float', async () => {
    const original = convNet();
    const model = convNet();
    const result = await quantizeWeights(model, opts(), testContext());
    expect(result.tensors.map((x) => [x.name, x.action])).toEqual([
      ['conv.weight', 'int8'],
      ['conv.bias', 'skipped'],
    ]);
    expect(axisOf(model, 'conv.weight')).toBe(0);
    expect(model.getInitializer('conv.weight_scale')!.dims).toEqual([64]);
    expect(result.bitsPerWeight).toBeCloseTo((8 * 1728 + 40 * 64) / 1728, 12);
    await compareWithReference(original, model, CONV_INPUT);
  });

  it('tied embedding: Gather input 0 and Gemm transB=1 share one DequantizeLinear over rows', async () => {
    const original = tiedEmbedding();
    const model = tiedEmbedding();
    const result = await quantizeWeights(model, opts(), testContext());
    expect(result.tensors).toEqual([expect.objectContaining({ name: 'emb', action: 'int8', elements: 1600 })]);
    expect(model.nodes.filter((n) => n.opType === 'DequantizeLinear')).toHaveLength(1);
    expect(axisOf(model, 'emb')).toBe(0);
    await compareWithReference(original, model, TIED_INPUT);
  });

  it('skips a tensor that another kind of node also reads, and a weight that is a graph output', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, [32, 32]);
    const shared = g.initializer('shared', DataType.FLOAT, [32, 32], seededWeights(1024, 41));
    const exposed = g.initializer('exposed', DataType.FLOAT, [32, 32], seededWeights(1024, 42));
    const ok = g.initializer('ok', DataType.FLOAT, [32, 32], seededWeights(1024, 43));
    g.output(g.add(g.matMul(x, shared), shared), DataType.FLOAT);
    g.output(g.matMul(g.matMul(x, exposed), ok), DataType.FLOAT);
    g.output(exposed, DataType.FLOAT);
    const r = byName((await quantizeWeights(g.build(), opts(), testContext())).tensors);
    expect(r.shared.reason).toBe('also consumed by Add input 1 (Add_0), which is not a weight input');
    expect(r.exposed.reason).toBe('also a graph output');
    expect(r.ok.action).toBe('int8');
  });
});

describe('opset', () => {
  it("raises an opset-11 model to 13 (core's checked upgrade) for per-channel DequantizeLinear", async () => {
    const original = mlp({ opset: 11, irVersion: 6 });
    const model = mlp({ opset: 11, irVersion: 6 });
    const result = await quantizeWeights(model, opts(), testContext());
    expect(model.opset('')).toBe(13);
    expect(Number(model.proto.irVersion)).toBe(7); // opset 13 came with IR 7
    expect(result.notes.join('\n')).toMatch(
      /raised the opset from 11 to 13 for per-channel DequantizeLinear \(no op needed rewriting; outputs equal on 3 probe inputs\)/,
    );
    await compareWithReference(original, model, MLP_INPUT);
  });

  it('rewrites ops whose meaning changed on the way (Softmax at 13) and keeps the outputs', async () => {
    const build = () => {
      const g = new GraphBuilder({ opset: 11 });
      const x = g.input('x', DataType.FLOAT, [2, 4, 8]);
      const w = g.initializer('w', DataType.FLOAT, [8, 160], seededWeights(1280, 51));
      g.output(g.node('Softmax', [g.matMul(x, w)], { axis: 1 })[0], DataType.FLOAT); // over [4, 160] per batch row
      return g.build();
    };
    const model = build();
    const result = await quantizeWeights(model, opts(), testContext());
    expect(model.opset('')).toBe(13);
    expect(result.notes.join('\n')).toMatch(/rewrote Softmax@13 x1/);
    await compareWithReference(build(), model, {
      x: { type: 'float32', data: seededWeights(64, 54), dims: [2, 4, 8] },
    });
  });

  it('--keep-opset: Cast and Mul over the same codes at opset 11, the values DequantizeLinear would give', async () => {
    const original = mlp({ opset: 11, irVersion: 6 });
    const model = mlp({ opset: 11, irVersion: 6 });
    const result = await quantizeWeights(model, opts({ keepOpset: true }), testContext());
    expect([model.opset(''), Number(model.proto.irVersion)]).toEqual([11, 6]);
    expect(model.nodes.some((n) => n.opType === 'DequantizeLinear')).toBe(false);
    expect(result.notes.join('\n')).toMatch(
      /kept opset 11 \(--keep-opset\).*\n.*3 tensors decoded with Cast and Mul at opset 11 \(DequantizeLinear would need 13\)/,
    );
    // sym: no zero points stored; the scales broadcast along the channel axis
    expect(model.getInitializer('w2_scale')!.dims).toEqual([16, 1]);
    expect(model.getInitializer('w1_scale')!.dims).toEqual([160]);
    expect(model.getInitializer('w1_zero_point')).toBeUndefined();
    expect(byName(result.tensors).w1.bitsPerWeight).toBeCloseTo(8 + (32 * 160) / 1280, 12);
    const { got } = await compareWithReference(original, model, MLP_INPUT);
    // the decoded weight itself, bit for bit against math.ts dequantize of the stored codes
    exposeTensor(model, 'w2', DataType.FLOAT);
    const exposed = await runModel(model, MLP_INPUT);
    const q = model.getInitializer('w2_q')!;
    expect(exposed.w2.data).toEqual(
      dequantize(
        q.readTyped() as Int8Array,
        q.dims,
        model.getInitializer('w2_scale')!.readFloat32(),
        new Int8Array(16),
        0,
      ),
    );
    expect(Object.keys(got).length).toBeGreaterThan(0);
  });

  it('--keep-opset, asymmetric, at opset 9: a zero point per channel, subtracted before the scale', async () => {
    const build = () => {
      const g = new GraphBuilder({ opset: 9, irVersion: 4 });
      const x = g.input('x', DataType.FLOAT, [1, 3, 8, 8]);
      const w = g.initializer('w', DataType.FLOAT, [64, 3, 3, 3], seededWeights(64 * 27, 57, 0.3));
      const h = g.flatten(g.globalAveragePool(g.relu(g.conv(x, w, undefined, { pads: [1, 1, 1, 1] }))));
      const head = g.initializer('head', DataType.FLOAT, [64, 32], seededWeights(2048, 58, 0.2));
      g.output(g.gemm(h, head, g.initializer('c', DataType.FLOAT, [32], seededWeights(32, 59, 0.1))), DataType.FLOAT); // Gemm-9 needs C
      return g.build();
    };
    const model = build();
    const result = await quantizeWeights(model, opts({ keepOpset: true, scheme: 'asym' }), testContext());
    expect(model.opset('')).toBe(9);
    expect(model.getInitializer('w_zero_point')!.dataType).toBe(DataType.UINT8);
    expect(model.getInitializer('w_zero_point')!.dims).toEqual([64, 1, 1, 1]);
    expect(byName(result.tensors).w.bitsPerWeight).toBeCloseTo(8 + 40 / 27, 12);
    await compareWithReference(build(), model, {
      x: { type: 'float32', data: seededWeights(192, 60), dims: [1, 3, 8, 8] },
    });
  });

  it('keeps the opset, saying why, where an op cannot be moved (Resize-10 sampling one axis up and one down)', async () => {
    const build = () => {
      const g = new GraphBuilder({ opset: 10, irVersion: 5 });
      const x = g.input('x', DataType.FLOAT, [1, 3, 8, 8]);
      const w = g.initializer('w', DataType.FLOAT, [64, 3, 3, 3], seededWeights(64 * 27, 55, 0.3));
      const c = g.conv(x, w, undefined, { pads: [1, 1, 1, 1] });
      g.output(
        g.node('Resize', [c, g.initializer('s', DataType.FLOAT, [4], Float32Array.of(1, 1, 2, 0.5))])[0],
        DataType.FLOAT,
      );
      return g.build();
    };
    const model = build();
    const result = await quantizeWeights(model, opts(), testContext());
    expect(model.opset('')).toBe(10);
    expect(result.notes.join('\n')).toMatch(
      /kept opset 10: per-channel DequantizeLinear needs opset 13, and Resize \(node Resize_0\) cannot be moved from opset 10 to opset 13: it samples some axes up and others down/,
    );
    expect(model.getInitializer('w_scale')!.dims).toEqual([64, 1, 1, 1]);
    await compareWithReference(build(), model, {
      x: { type: 'float32', data: seededWeights(192, 56), dims: [1, 3, 8, 8] },
    });
  });
});

describe('float16 weights', () => {
  it('stores float16 scales, raises opset 17 to 19, and onnxruntime agrees bit for bit', async () => {
    const { model: original } = float16MatMul();
    const { model } = float16MatMul();
    const result = await quantizeWeights(model, opts(), testContext());
    expect(model.opset('')).toBe(19);
    expect(model.getInitializer('w_scale')!.dataType).toBe(DataType.FLOAT16);
    // 16-bit scales: 8 + (16 + 8) / 32 bits per weight over 64 channels of 32.
    expect(result.bitsPerWeight).toBeCloseTo((8 * 2048 + 24 * 64) / 2048, 12);
    const q = model.getInitializer('w_q')!;
    const s = model.getInitializer('w_scale')!;
    const expected = dequantize(q.readTyped() as Int8Array, q.dims, s.readFloat32(), new Int8Array(64), 1, 'float16');
    const x = Uint16Array.from(seededWeights(64, 53), (v) => toFloat16Bits(v));
    const feeds = { x: { type: 'float16' as const, data: x, dims: [2, 32] } };
    const y = model.outputs[0].name!;
    const [out, ref] = await Promise.all([
      runModel(model, feeds, UNFUSED),
      runModel(denseReference(original, model), feeds, UNFUSED),
    ]);
    expect(out[y].data).toEqual(ref[y].data);
    exposeTensor(model, 'w', DataType.FLOAT16);
    const exposed = await runModel(model, feeds);
    expect(exposed.w.data).toEqual(Uint16Array.from(expected, (v) => toFloat16Bits(v)));
  });
});

describe('bfloat16 weights', () => {
  // Graph only: onnxruntime's CPU provider has no bfloat16 MatMul to run the result with, so the
  // upgrade to 19 cannot be checked and is not made: Cast and Mul at 17, bfloat16 scales.
  it('stores bfloat16 scales and decodes with Cast and Mul at opset 17 (the upgrade to 19 cannot be checked)', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.BFLOAT16, [2, 32]);
    const w = g.initializer('w', DataType.BFLOAT16, [32, 64], seededWeights(2048, 71));
    g.output(g.matMul(x, w), DataType.BFLOAT16);
    const model = g.build();
    const result = await quantizeWeights(model, opts(), testContext());
    expect([model.opset(''), Number(model.proto.irVersion)]).toEqual([17, 8]);
    expect(model.getInitializer('w_scale')!.dataType).toBe(DataType.BFLOAT16);
    expect(model.nodes.map((n) => n.opType)).toEqual(['Cast', 'Cast', 'Mul', 'Cast', 'MatMul']);
    expect(result.bitsPerWeight).toBeCloseTo((8 * 2048 + 16 * 64) / 2048, 12); // no zero points stored
    expect(result.notes.join('\n')).toMatch(
      /kept opset 17: DequantizeLinear with float16\/bfloat16 scales needs opset 19, and onnxruntime-node cannot load the model at opset 17: Could not find an implementation for MatMul/,
    );
  });
});
