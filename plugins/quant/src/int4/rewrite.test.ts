/**
 * int4 on tiny real models: the graph afterwards (MatMulNBits, blocked DequantizeLinear, int8
 * fallback), and onnxruntime-node running it with the outputs of the float model built from the
 * dequantized weights, within 1e-5 relative. Sessions come from core's factory with its default
 * settings (all graph optimizations; fused QDQ MatMuls at accuracy level 0).
 */
import { DataType, ErrorCodes, float16ArrayToFloat32, type OnnxModel, type TensorReport } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { float32ToFloat16 as toFloat16Bits } from '@mc-kit/core';
import {
  CONV_INPUT,
  convNet,
  float16MatMul,
  MLP_INPUT,
  mlp,
  TIED_INPUT,
  tiedEmbedding,
} from '../int8/models.fixture.js';
import { expectUserError, relativeMaxDiff, runModel, seededWeights, testContext } from '../int8/testkit.fixture.js';
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
const byName = (tensors: readonly TensorReport[]) => Object.fromEntries(tensors.map((t) => [t.name, t]));
const attrs = (model: OnnxModel, op: string) =>
  model.nodes
    .filter((n) => n.opType === op)
    .map((n) => Object.fromEntries((n.attribute ?? []).map((a) => [a.name, Number(a.i)])));

/** Quantized and reference outputs for the same feeds, every output within `tol` relative. */
async function compareWithReference(
  original: OnnxModel,
  quantized: OnnxModel,
  feeds: Parameters<typeof runModel>[1],
  tol = 1e-5,
) {
  const [got, want] = await Promise.all([
    runModel(quantized, feeds),
    runModel(denseReference(original, quantized), feeds),
  ]);
  const diffs = Object.keys(want).map((name) =>
    relativeMaxDiff(got[name].data as Float32Array, want[name].data as Float32Array),
  );
  for (const d of diffs) expect(d).toBeLessThanOrEqual(tol);
  return diffs;
}

describe('int4 MatMul weights -> MatMulNBits', () => {
  it.each([
    ['sym', 32, 96 * 224 * 4 + 96 * 7 * 32, 96 * 48 * 4 + 48 * 3 * 32],
    ['asym', 32, 96 * 224 * 4 + 96 * 7 * 32 + 96 * 4 * 8, 96 * 48 * 4 + 48 * 3 * 32 + 48 * 2 * 8],
    ['sym', 128, 96 * 256 * 4 + 96 * 2 * 32, 48 * 128 * 4 + 48 * 32],
    ['asym', 16, 96 * 208 * 4 + 96 * 13 * 32 + 96 * 7 * 8, 96 * 48 * 4 + 48 * 6 * 32 + 48 * 3 * 8],
  ] as const)(
    '%s, block %d: layout, attributes, measured bits, same outputs as the dequantized float model',
    async (scheme, blockSize, aBits, sharedBits) => {
      const original = matmuls();
      const model = matmuls();
      const result = await quantizeInt4Weights(model, opts({ scheme, blockSize }), testContext());
      const t = byName(result.tensors);
      expect(result.tensors.map((x) => [x.name, x.action])).toEqual([
        ['a', 'int4'],
        ['shared', 'int4'],
        ['bias', 'skipped'],
      ]);
      expect(model.nodes.map((n) => n.opType).sort()).toEqual([
        'Add',
        'MatMulNBits',
        'MatMulNBits',
        'MatMulNBits',
        'Relu',
      ]);
      expect(model.opset('com.microsoft')).toBe(1);
      expect(model.opset('')).toBe(17); // MatMulNBits needs no default-domain change
      const kBlocks = Math.ceil(200 / blockSize);
      expect(attrs(model, 'MatMulNBits')[0]).toEqual({
        K: 200,
        N: 96,
        bits: 4,
        block_size: blockSize,
        accuracy_level: 0,
      });
      const q4 = model.getInitializer('a_q4')!;
      expect([q4.dataType, q4.dims]).toEqual([DataType.UINT8, [96, kBlocks, blockSize / 2]]);
      expect(model.getInitializer('a_scales')!.dims).toEqual([96 * kBlocks]);
      expect(model.getInitializer('a_zp')?.dims).toEqual(scheme === 'asym' ? [96 * Math.ceil(kBlocks / 2)] : undefined);
      expect(model.getInitializer('a')).toBeUndefined();
      // The shared weight is stored once and read by both MatMulNBits.
      expect(model.nodes.filter((n) => n.input?.[1] === 'shared_q4')).toHaveLength(2);
      // Measured bits (by hand): codes padded to whole blocks at 4 bits, one float32 scale per block, 4-bit zero points packed per row.
      expect(t.a.bitsPerWeight).toBeCloseTo(aBits / 19200, 12);
      expect(t.shared.bitsPerWeight).toBeCloseTo(sharedBits / 4608, 12);
      expect(result.bitsPerWeight).toBeCloseTo((aBits + sharedBits) / (19200 + 4608), 12);
      await compareWithReference(original, model, MATMULS_INPUT);
    },
  );

  it('block 32, symmetric, K a multiple of 32: exactly 5.0 bits per weight (spec §4)', async () => {
    const model = matmuls();
    const result = await quantizeInt4Weights(model, opts({ include: ['shared'] }), testContext());
    expect(result.bitsPerWeight).toBe(5);
  });

  it('passes accuracy_level through (4: int8 activations; still close, not exact)', async () => {
    const original = matmuls();
    const model = matmuls();
    await quantizeInt4Weights(model, opts({ accuracyLevel: 4 }), testContext());
    expect(attrs(model, 'MatMulNBits').map((a) => a.accuracy_level)).toEqual([4, 4, 4]);
    const [d] = await compareWithReference(original, model, MATMULS_INPUT, 0.05);
    expect(d).toBeGreaterThan(1e-5); // activations quantized to int8 move the outputs
  });

  it('float16 weights: float16 scales, and onnxruntime agrees with the dequantized float16 model', async () => {
    const { model: original } = float16MatMul();
    const { model } = float16MatMul();
    const result = await quantizeInt4Weights(model, opts(), testContext());
    expect(model.nodes.map((n) => n.opType)).toEqual(['MatMulNBits']);
    expect(model.getInitializer('w_scales')!.dataType).toBe(DataType.FLOAT16);
    expect(result.bitsPerWeight).toBe(4.5); // 4 + 16 / 32
    const x = Uint16Array.from(seededWeights(64, 53), (v) => toFloat16Bits(v));
    const feeds = { x: { type: 'float16' as const, data: x, dims: [2, 32] } };
    const y = model.outputs[0].name!;
    const [out, ref] = await Promise.all([runModel(model, feeds), runModel(denseReference(original, model), feeds)]);
    // Both round the float32 sums to float16 once; the float32 sums may differ in the last bits, so a
    // float16 output may land one ulp (2^-11 relative) apart.
    const diff = relativeMaxDiff(
      float16ArrayToFloat32(out[y].data as Uint16Array),
      float16ArrayToFloat32(ref[y].data as Uint16Array),
    );
    expect(diff).toBeLessThanOrEqual(2 ** -10);
  });
});

describe('int4 other consumers -> blocked DequantizeLinear (opset 21)', () => {
  it('MLP: MatMul -> MatMulNBits, Gemm transB=1 and transB=0 -> DequantizeLinear blocked along K', async () => {
    const original = mlp();
    const model = mlp();
    const result = await quantizeInt4Weights(model, opts(), testContext());
    expect(result.tensors.map((x) => [x.name, x.action])).toEqual([
      ['w1', 'int4'],
      ['b1', 'skipped'],
      ['w2', 'int4'],
      ['b2', 'skipped'],
      ['w3', 'int4'],
      ['w4', 'skipped'],
    ]);
    expect([model.opset(''), Number(model.proto.irVersion)]).toEqual([21, 10]);
    expect(result.notes.join('\n')).toMatch(
      /raised the opset from 17 to 21 for blocked int4 DequantizeLinear \(no op needed rewriting; outputs equal on 3 probe inputs\)/,
    );
    expect(attrs(model, 'DequantizeLinear')).toEqual([
      { axis: 1, block_size: 32 },
      { axis: 0, block_size: 32 },
    ]); // w2 [16, 160] transB=1; w3 [16, 64]
    const q = model.getInitializer('w2_q4')!;
    expect([q.dataType, q.dims, q.byteLength]).toEqual([DataType.INT4, [16, 160], 1280]);
    expect(model.getInitializer('w2_scales')!.dims).toEqual([16, 5]);
    expect(model.getInitializer('w3_scales')!.dims).toEqual([1, 64]); // K = 16 < 32: one short block
    expect(result.notes[0]).toMatch(/1 as MatMulNBits .*, 2 as blocked DequantizeLinear, 0 as nibbles .*, 0 as int8/);
    await compareWithReference(original, model, MLP_INPUT);
  });

  it('asymmetric: uint4 codes and uint4 zero points shaped like the scales', async () => {
    const original = mlp();
    const model = mlp();
    await quantizeInt4Weights(model, opts({ scheme: 'asym' }), testContext());
    expect(model.getInitializer('w2_q4')!.dataType).toBe(DataType.UINT4);
    const zp = model.getInitializer('w2_zp')!;
    expect([zp.dataType, zp.dims]).toEqual([DataType.UINT4, [16, 5]]);
    await compareWithReference(original, model, MLP_INPUT);
  });

  it('Conv: stored as [M, C*kh*kw], blocked along it, and reshaped back', async () => {
    const original = convNet();
    const model = convNet();
    const result = await quantizeInt4Weights(model, opts(), testContext());
    expect(model.getInitializer('conv.weight_q4')!.dims).toEqual([64, 27]);
    expect(model.getInitializer('conv.weight_scales')!.dims).toEqual([64, 1]);
    expect(model.nodes.slice(0, 2).map((n) => n.opType)).toEqual(['DequantizeLinear', 'Reshape']);
    // 1728 codes at 4 bits + 64 float32 scales + the Reshape's 4 int64s
    expect(result.bitsPerWeight).toBeCloseTo((1728 * 4 + 64 * 32 + 4 * 64) / 1728, 12);
    await compareWithReference(original, model, CONV_INPUT);
  });

  it('tied embedding (Gather and Gemm transB=1): one blocked DequantizeLinear along the embedding dimension', async () => {
    const original = tiedEmbedding();
    const model = tiedEmbedding();
    await quantizeInt4Weights(model, opts({ blockSize: 16 }), testContext());
    expect(attrs(model, 'DequantizeLinear')).toEqual([{ axis: 1, block_size: 16 }]);
    expect(model.getInitializer('emb_scales')!.dims).toEqual([100, 1]);
    await compareWithReference(original, model, TIED_INPUT);
  });

  it('LSTM W and R [dirs, 4·hidden, input]: blocks run along the input features (axis 2), not the directions', async () => {
    const build = () => {
      const g = new GraphBuilder({ opset: 21, irVersion: 10 });
      const seq = g.input('seq', DataType.FLOAT, [3, 2, 64]);
      const w = (name: string, seed: number) =>
        g.initializer(name, DataType.FLOAT, [1, 256, 64], seededWeights(16384, seed, 0.1));
      g.output(g.node('LSTM', [seq, w('W', 81), w('R', 82)], { hidden_size: 64 })[0], DataType.FLOAT);
      return g.build();
    };
    const model = build();
    const result = await quantizeInt4Weights(model, opts(), testContext());
    expect(attrs(model, 'DequantizeLinear')).toEqual([
      { axis: 2, block_size: 32 },
      { axis: 2, block_size: 32 },
    ]);
    expect(model.getInitializer('W_scales')!.dims).toEqual([1, 256, 2]);
    expect(result.bitsPerWeight).toBe(5); // 64 inputs = 2 blocks of 32 per gate row: 4 + 32/32 bits
    await compareWithReference(build(), model, {
      seq: { type: 'float32', data: seededWeights(384, 83), dims: [3, 2, 64] },
    });
  });
});

describe('int4 below opset 21: raised where the upgrade checks out, else 4-bit nibbles (never int8 under the name int4)', () => {
  const splitNet = (opset: number) => {
    const g = new GraphBuilder({ opset });
    const x = g.input('x', DataType.FLOAT, [2, 64]);
    const m = g.initializer('m', DataType.FLOAT, [64, 64], seededWeights(4096, 91));
    const e = g.initializer('e', DataType.FLOAT, [32, 64], seededWeights(2048, 92));
    const [s0, s1] = g.node('Split', [g.matMul(x, m)], { axis: 1 }, { outputs: 2 });
    g.output(g.gemm(g.add(s0, s1), e, undefined, { transB: 0 }), DataType.FLOAT, [2, 64]);
    return g.build();
  };
  const splitFeeds = { x: { type: 'float32' as const, data: seededWeights(128, 93), dims: [2, 64] } };

  it('opset 17 with Split (changed at 18): raised to 21 with Split rewritten, the Gemm weight blocked DequantizeLinear', async () => {
    const model = splitNet(17);
    const result = await quantizeInt4Weights(model, opts(), testContext());
    const t = byName(result.tensors);
    expect([t.m.action, t.e.action]).toEqual(['int4', 'int4']);
    expect(model.opset('')).toBe(21);
    expect(result.notes.join('\n')).toMatch(
      /raised the opset from 17 to 21 for blocked int4 DequantizeLinear \(rewrote Split@18 x1;/,
    );
    expect(model.getInitializer('e_q4')!.dataType).toBe(DataType.INT4);
    await compareWithReference(splitNet(17), model, splitFeeds);
  });

  it('--keep-opset at 17: the Gemm weight as 4-bit nibbles, said once, bits as stored', async () => {
    const model = splitNet(17);
    const result = await quantizeInt4Weights(model, opts({ keepOpset: true }), testContext());
    expect(model.opset('')).toBe(17);
    expect(byName(result.tensors).e.action).toBe('int4');
    expect(result.notes.join('\n')).toMatch(
      /1 as MatMulNBits .*, 0 as blocked DequantizeLinear, 1 as nibbles unpacked at opset 17, 0 as int8/,
    );
    expect(result.notes.join('\n')).toMatch(
      /kept opset 17 \(--keep-opset\); blocked int4 DequantizeLinear would need 21/,
    );
    // e [32, 64] transB=0: 64 rows of K = 32 (one block): 1024 bytes of codes, 64 float32 scales
    const q = model.getInitializer('e_q4n')!;
    expect([q.dataType, q.dims, q.byteLength]).toEqual([DataType.UINT8, [1024, 1], 1024]);
    expect(model.getInitializer('e_scales')!.dims).toEqual([64, 1, 1]);
    // codes + scales + the int64 shapes of two Reshapes ([R, KB, BS], [R, P]); a Transpose needs none
    expect(byName(result.tensors).e.bitsPerWeight).toBe((1024 * 8 + 64 * 32 + 5 * 64) / 2048);
    expect(result.bitsPerWeight).toBe((4096 * 5 + 1024 * 8 + 64 * 32 + 5 * 64 + 2 * 32) / 6144); // + the shared int32 16 and 8
    await compareWithReference(splitNet(17), model, splitFeeds);
  });

  it('bfloat16 weights: no CPU kernel for either int4 form, so int8 with bfloat16 scales, said with the reason (graph only)', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.BFLOAT16, [2, 32]);
    const w = g.initializer('w', DataType.BFLOAT16, [32, 64], seededWeights(2048, 71));
    g.output(g.matMul(x, w), DataType.BFLOAT16);
    const model = g.build();
    const result = await quantizeInt4Weights(model, opts(), testContext());
    expect(result.tensors[0]).toMatchObject({
      name: 'w',
      action: 'int8',
      reason: expect.stringMatching(/no int4 kernel .* for bfloat16/),
    });
    expect(result.notes.filter((n) => /int8 per channel instead of int4/.test(n))).toEqual([
      "1 tensor (2,048 elements) quantized to int8 per channel instead of int4: onnxruntime-node's CPU provider has no int4 kernel (MatMulNBits or blocked DequantizeLinear) for bfloat16 (w)",
    ]);
    expect([model.opset(''), model.getInitializer('w_scale')!.dataType]).toEqual([17, DataType.BFLOAT16]); // Cast/Mul: the upgrade to 19 cannot be checked on CPU
  });
});

describe('int4 bad input', () => {
  it('nothing qualifies because of the opset: the hint names the opset, not --min-size (issue 16)', async () => {
    // bfloat16 has no int4 kernel, and int8's decode of it (Cast to bfloat16) needs opset 13: at
    // opset 11 with --keep-opset the opset is the only thing in the way (graph only: not run)
    const g = new GraphBuilder({ opset: 11 });
    const x = g.input('x', DataType.BFLOAT16, [2, 4]);
    const small = g.initializer('small', DataType.BFLOAT16, [4, 32], seededWeights(128, 96)); // under --min-size
    const e = g.initializer('e', DataType.BFLOAT16, [32, 64], seededWeights(2048, 95));
    g.output(g.matMul(g.matMul(x, small), e), DataType.BFLOAT16);
    const err = await expectUserError(
      quantizeInt4Weights(g.build(), opts({ keepOpset: true }), testContext()),
      ErrorCodes.NOTHING_TO_COMPRESS,
    );
    expect(err.message).toMatch(
      /^int4: no weight qualifies \(2 float tensors skipped; the largest, e with 2,048 elements: no int4 form/,
    );
    expect(err.hint).toMatch(/^the graph's opset is the cause, not the weights: bfloat16 weights need opset 13/);
  });

  it('says what to lower when nothing qualifies, and leaves the model alone', async () => {
    const model = matmuls();
    const before = model.toBytes();
    const e = await expectUserError(
      quantizeInt4Weights(model, opts({ minSize: 100000 }), testContext()),
      ErrorCodes.NOTHING_TO_COMPRESS,
    );
    expect(e.message).toMatch(/int4: no weight qualifies/);
    expect(e.message).toMatch(/with 19,200 elements: fewer than --min-size 100000 elements\)$/);
    expect(e.hint).toBe('lower --min-size (now 100000) to take them');
    expect(model.toBytes()).toEqual(before);
  });

  it('refuses NaN weights naming the tensor, before touching the graph', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const w = seededWeights(2048, 5);
    w[700] = NaN;
    g.output(
      g.matMul(g.input('x', DataType.FLOAT, [1, 32]), g.initializer('w', DataType.FLOAT, [32, 64], w)),
      DataType.FLOAT,
    );
    const model = g.build();
    const before = model.toBytes();
    const e = await expectUserError(quantizeInt4Weights(model, opts(), testContext()), ErrorCodes.BAD_MODEL);
    expect(e.message).toMatch(/weight w holds NaN at element 700/);
    expect(model.toBytes()).toEqual(before);
  });

  it('stops on Ctrl-C before touching the graph', async () => {
    const model = matmuls();
    const before = model.toBytes();
    const ac = new AbortController();
    ac.abort();
    await expect(quantizeInt4Weights(model, opts(), testContext(ac.signal))).rejects.toMatchObject({
      code: ErrorCodes.ABORTED,
    });
    expect(model.toBytes()).toEqual(before);
  });
});
