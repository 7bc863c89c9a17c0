/**
 * Chains through core's compress service: int4 after a method that leaves float weights (a
 * magnitude-style zeroing step, then GPTQ), each step's output feeding the next on one model.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compressModel,
  compressor,
  createRunContext,
  DataType,
  OnnxModel,
  Registry,
  type CalibrationSource,
  type Compressor,
} from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { dequantizeInt4 } from '../int4/math.js';
import { unpackMatMulNBits } from '../int4/pack.js';
import { Int4Compressor } from '../int4/plugin.js';
import { runModel, seededWeights, sessions } from '../int8/testkit.fixture.js';
import { GptqCompressor } from './plugin.js';

const F = DataType.FLOAT;

/** Zeroes every weight below 0.1 in magnitude and leaves float weights (as unstructured pruning does). */
const zeroSmall: Compressor = {
  id: 'zero-small',
  summary: 'test: zero |w| < 0.1',
  params: [],
  async compress(model) {
    const w = model
      .getInitializer('W1')!
      .readFloat32()
      .map((v) => (Math.abs(v) < 0.1 ? 0 : v));
    model.setInitializer('W1', F, [64, 48], w);
    return { method: 'zero-small', params: {}, tensors: [], notes: [] };
  },
};

function model(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', F, [1, 'T', 64]);
  const h = g.relu(g.matMul(x, g.initializer('W1', F, [64, 48], seededWeights(64 * 48, 1, 0.4))));
  const y = g.matMul(h, g.initializer('W2', F, [48, 32], seededWeights(48 * 32, 2, 0.3)));
  g.output(g.gemm(g.flatten(y, 2), g.initializer('G', F, [32, 64], seededWeights(32 * 64, 3, 0.3))), F);
  return g.build();
}

const X = seededWeights(4 * 64, 9, 1);
const calibration: CalibrationSource = {
  info: { dataset: 'unit-test', samples: 4 },
  load: async () => ({
    info: { dataset: 'unit-test', samples: 4 },
    samples: [0, 1, 2, 3].map((s) => ({
      kind: 'feeds' as const,
      feeds: { x: { type: 'float32' as const, data: seededWeights(8 * 64, 20 + s, 1), dims: [1, 8, 64] } },
    })),
  }),
};

describe('chains', () => {
  let dir: string;
  const registry = new Registry();
  const origin = { name: 'test', version: '0.0.0' };
  registry.add(
    origin,
    compressor(() => zeroSmall),
  );
  registry.add(
    origin,
    compressor(() => new Int4Compressor()),
  );
  registry.add(
    origin,
    compressor(() => new GptqCompressor()),
  );
  const ctx = { ...createRunContext({ sessions, progressMode: 'silent' }), calibration };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-gptq-chain-'));
    await model().save(join(dir, 'in.onnx'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('zero-small then int4: int4 quantizes the float weights the first step left, zeros stay exact', async () => {
    const out = join(dir, 'a.onnx');
    const result = await compressModel(
      registry,
      {
        model: join(dir, 'in.onnx'),
        out,
        seed: 0,
        methods: [
          { id: 'zero-small', params: {} },
          { id: 'int4', params: {} },
        ],
      },
      ctx,
    );
    expect(result.steps.map((s) => s.method)).toEqual(['zero-small', 'int4']);
    const m = await OnnxModel.load(out);
    expect(m.getMetadata('mc.method')).toBe('zero-small+int4');
    expect(m.nodes.filter((n) => n.opType === 'MatMulNBits')).toHaveLength(2);
    const w1 = dequantizeInt4(
      unpackMatMulNBits(
        {
          B: m.getInitializer('W1_q4')!.readTyped() as Uint8Array,
          scales: m.getInitializer('W1_scales')!.readFloat32(),
          K: 64,
          N: 48,
          blockSize: 32,
        },
        'float32',
      ),
    );
    const original = seededWeights(64 * 48, 1, 0.4);
    const zeroed = original.map((v, i) => (Math.abs(v) < 0.1 ? i : -1)).filter((i) => i >= 0);
    expect(zeroed.length).toBeGreaterThan(300);
    expect(zeroed.every((i) => w1[i] === 0)).toBe(true);
    const y = await runModel(m, { x: { type: 'float32', data: X, dims: [1, 4, 64] } });
    expect(Object.values(y)[0].dims).toEqual([4, 64]);
  });

  it('gptq then int4: GPTQ takes the MatMul weights, int4 the Gemm weight it was told to leave', async () => {
    const out = join(dir, 'b.onnx');
    const result = await compressModel(
      registry,
      {
        model: join(dir, 'in.onnx'),
        out,
        seed: 0,
        methods: [
          { id: 'gptq', params: { 'group-size': 16, exclude: ['G'] } },
          { id: 'int4', params: { 'block-size': 16 } },
        ],
      },
      ctx,
    );
    expect(result.steps[0].tensors.filter((t) => t.action === 'gptq-4bit').map((t) => t.name)).toEqual(['W1', 'W2']);
    expect(result.steps[1].tensors.filter((t) => t.action === 'int4').map((t) => t.name)).toEqual(['G']);
    const m = await OnnxModel.load(out);
    expect(m.nodes.filter((n) => n.opType === 'MatMulNBits')).toHaveLength(2);
    expect(m.nodes.filter((n) => n.opType === 'DequantizeLinear')).toHaveLength(1);
    const y = await runModel(m, { x: { type: 'float32', data: X, dims: [1, 4, 64] } });
    expect(Object.values(y)[0].dims).toEqual([4, 64]);
  });
});
