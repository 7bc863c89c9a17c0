/**
 * gptq on a small conv net (Conv, grouped Conv, Gemm) calibrated on image feeds: stored as int4
 * stores Conv/Gemm weights, runs in onnxruntime, decompresses to exactly what it computes, beats
 * int4 RTN at the same group size on held-out images, and names what it cannot take.
 */
import {
  DataType,
  parseParams,
  type CalibrationSet,
  type CalibrationSource,
  type HostTensor,
  type OnnxModel,
  type RunContext,
  createRunContext,
} from '@mc-kit/core';
import { GraphBuilder, attr } from '@mc-kit/core/testing';
import { INT4_PARAMS, Int4Compressor } from '../int4/plugin.js';
import {
  cloneModel,
  expectUserError,
  relativeMaxDiff,
  runModel,
  seededWeights,
  sessions,
} from '../int8/testkit.fixture.js';
import { GPTQ_PARAMS, GptqCompressor } from './plugin.js';
import type { GptqTensorReport } from './rewrite.js';

const F = DataType.FLOAT;
const gptq = (raw: Record<string, unknown>) => parseParams(GPTQ_PARAMS, raw, 'gptq');
const int4 = (raw: Record<string, unknown>) => parseParams(INT4_PARAMS, raw, 'int4');
const [C, S] = [2, 8];

/** x [N, 2, 8, 8] -> Conv 3x3 (16) -> Relu -> Conv 3x3 group 2 stride 2 (16) -> Relu -> GAP -> Flatten -> Gemm transB (10). */
function convNet(opset = 17, transposed = false): OnnxModel {
  const g = new GraphBuilder({ opset });
  const x = g.input('x', F, ['N', C, S, S]);
  let h = g.relu(
    g.conv(
      x,
      g.initializer('W1', F, [16, C, 3, 3], seededWeights(16 * C * 9, 1, 0.4)),
      g.initializer('b1', F, [16], seededWeights(16, 2, 0.1)),
      { pads: [1, 1, 1, 1] },
    ),
  );
  h = g.relu(
    g.conv(h, g.initializer('W2', F, [16, 8, 3, 3], seededWeights(16 * 8 * 9, 3, 0.2)), undefined, {
      pads: [1, 1, 1, 1],
      strides: [2, 2],
      group: 2,
    }),
  );
  if (transposed)
    h = g.node(
      'ConvTranspose',
      [h, g.initializer('Wt', F, [16, 16, 2, 2], seededWeights(16 * 16 * 4, 4, 0.2))],
      { strides: attr.ints([2, 2]) },
      { name: 'up' },
    )[0];
  const flat = g.flatten(g.globalAveragePool(h));
  g.output(g.gemm(flat, g.initializer('G', F, [10, 16], seededWeights(160, 5, 0.5)), undefined, { transB: true }), F);
  return g.build();
}

/** Images with structure (smooth blobs + noise), so patch features correlate as real ones do. */
function images(count: number, seed: number): Float32Array {
  const noise = seededWeights(count * C * S * S, seed, 0.1);
  const centres = seededWeights(count * 4, seed + 1, 1);
  return Float32Array.from(noise, (v, i) => {
    const n = Math.floor(i / (C * S * S));
    const y = Math.floor(i / S) % S;
    const xx = i % S;
    const [cy, cx] = [(centres[n * 4] + 1) * 3.5, (centres[n * 4 + 1] + 1) * 3.5];
    return v + Math.exp(-((y - cy) ** 2 + (xx - cx) ** 2) / 6) * (1 + centres[n * 4 + 2]);
  });
}

const feeds = (data: Float32Array): Record<string, HostTensor> => ({
  x: { type: 'float32', data, dims: [data.length / (C * S * S), C, S, S] },
});

function calibration(): CalibrationSource {
  const set: CalibrationSet = {
    info: {
      dataset: 'unit-images',
      samples: 64,
      seed: 0,
      kind: 'image',
      image: { input: 'x', channels: C, height: S, width: S, preprocess: 'none' },
    },
    samples: [0, 1, 2, 3].map((i) => ({ kind: 'feeds' as const, feeds: feeds(images(16, 100 + i)) })),
  };
  return { info: set.info, load: async () => set };
}

const ctx = (): RunContext => ({
  ...createRunContext({ sessions, progressMode: 'silent' }),
  calibration: calibration(),
});
const HELD_OUT = feeds(images(32, 900));

async function outputError(m: OnnxModel, dense: Float32Array): Promise<number> {
  const y = (await runModel(m, HELD_OUT))[m.outputs[0].name ?? ''].data as Float32Array;
  return y.reduce((s, v, i) => s + (v - dense[i]) ** 2, 0);
}

describe('gptq on Conv and Gemm', () => {
  it("solves Conv (grouped too) and Gemm weights in stages, stores them as int4 does at opset 21, and reports each layer's output error", async () => {
    const m = convNet();
    const report = await new GptqCompressor().compress(m, gptq({ 'group-size': 16, 'min-size': 1 }), ctx());
    const done = report.tensors.filter((t) => t.action === 'gptq-4bit') as GptqTensorReport[];
    expect(done.map((t) => t.name)).toEqual(['W1', 'W2', 'G']);
    for (const t of done) expect(t.outputError).toBeGreaterThan(0);
    for (const t of done) expect(t.outputError).toBeLessThan(0.2);
    const notes = report.notes.join('\n');
    expect(notes).toMatch(/raised the opset from 17 to 21/);
    expect(notes).toMatch(/3 Conv\/Gemm as blocked int4 DequantizeLinear/);
    expect(notes).toMatch(/sequential: 3 stages/);
    expect(notes).toMatch(/calibration: 64 images \(2x8x8, none\) fed to x from unit-images/);
    expect(notes).toMatch(/layer output error .* mean 0\.\d+, max 0\.\d+/);
    const dq = m.nodes.filter((n) => n.opType === 'DequantizeLinear');
    expect(dq).toHaveLength(3);
    expect(m.opset('')).toBe(21);
    // bits per weight as stored: 4-bit codes + a float32 scale per 16 (W2's K = 8·3·3 = 72: 5 blocks per output)
    expect(done.find((t) => t.name === 'W2')!.bitsPerWeight).toBeCloseTo(
      (16 * 72 * 4 + 16 * 5 * 32 + 4 * 64) / (16 * 72),
      10,
    );
  });

  it('beats int4 RTN at the same group size on held-out images, and decompresses to exactly what onnxruntime computes', async () => {
    const dense = (await runModel(convNet(), HELD_OUT))['' + convNet().outputs[0].name].data as Float32Array;
    const g = convNet();
    await new GptqCompressor().compress(g, gptq({ 'group-size': 16, 'min-size': 1, bits: 4 }), ctx());
    const r = convNet();
    await new Int4Compressor().compress(r, int4({ 'block-size': 16, 'min-size': 1 }), ctx());
    const [eg, er] = [await outputError(g, dense), await outputError(r, dense)];
    expect(eg).toBeLessThan(0.8 * er);

    const before = (await runModel(g, HELD_OUT))[g.outputs[0].name ?? ''].data as Float32Array;
    const restored = cloneModel(g);
    await new GptqCompressor().decompress(restored, ctx());
    expect(restored.nodes.some((n) => n.opType === 'DequantizeLinear')).toBe(false);
    const after = (await runModel(restored, HELD_OUT))[restored.outputs[0].name ?? ''].data as Float32Array;
    expect(relativeMaxDiff(after, before)).toBeLessThan(1e-5);
  });

  it("--keep-opset stores them as int4's nibbles at the model's opset", async () => {
    const m = convNet();
    const report = await new GptqCompressor().compress(
      m,
      gptq({ 'group-size': 16, 'min-size': 1, 'keep-opset': true }),
      ctx(),
    );
    expect(m.opset('')).toBe(17);
    expect(report.notes.join('\n')).toMatch(/3 Conv\/Gemm as int4 nibbles unpacked at opset 17/);
    const y = (await runModel(m, HELD_OUT))[m.outputs[0].name ?? ''].data as Float32Array;
    expect(y.every(Number.isFinite)).toBe(true);
  });

  it('leaves a ConvTranspose weight float, naming the node; --bits 2 leaves Conv/Gemm weights float', async () => {
    const m = convNet(17, true);
    const report = await new GptqCompressor().compress(m, gptq({ 'group-size': 16, 'min-size': 1 }), ctx());
    expect(report.tensors.find((t) => t.name === 'Wt')).toMatchObject({
      action: 'skipped',
      reason: expect.stringMatching(/ConvTranspose up/),
    });
    const e = await expectUserError(
      new GptqCompressor().compress(convNet(), gptq({ bits: 2, 'group-size': 16, 'min-size': 1 }), ctx()),
      'E_NOTHING_TO_COMPRESS',
    );
    expect(e.message).toMatch(/--bits 3 or 4 only/);
  });
});
