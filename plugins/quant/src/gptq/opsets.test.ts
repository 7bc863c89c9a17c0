/**
 * GPTQ on models exported at old opsets: MatMulNBits is a com.microsoft op, so only that domain's
 * import is added and the default-domain opset stays; the calibration capture (Transpose, MatMul,
 * Reshape, Shape) runs at opset 9 too. Chained with int4, the Gemm weight GPTQ was told to leave
 * (--exclude; gptq on Gemm raises the opset as int4 does, conv-gemm.test.ts) gets 4-bit codes at the
 * model's opset or at 21, never int8.
 */
import { createRunContext, DataType, parseParams, type CalibrationSource, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { INT4_PARAMS, Int4Compressor } from '../int4/plugin.js';
import { relativeMaxDiff, runModel, seededWeights, sessions } from '../int8/testkit.fixture.js';
import { GPTQ_PARAMS, GptqCompressor } from './plugin.js';

const F = DataType.FLOAT;

/** x[1,T,64] -> MatMul W1 -> Relu -> MatMul W2 -> Flatten(2) -> Gemm G (+ C, which Gemm needs before 11). */
function model(opset: number): OnnxModel {
  const g = new GraphBuilder({ opset, irVersion: opset >= 11 ? 6 : 4 });
  const x = g.input('x', F, [1, 'T', 64]);
  const h = g.relu(g.matMul(x, g.initializer('W1', F, [64, 48], seededWeights(64 * 48, 1, 0.4))));
  const y = g.matMul(h, g.initializer('W2', F, [48, 32], seededWeights(48 * 32, 2, 0.3)));
  const c = g.initializer('C', F, [64], seededWeights(64, 4, 0.1));
  g.output(g.gemm(g.flatten(y, 2), g.initializer('G', F, [32, 64], seededWeights(32 * 64, 3, 0.3)), c), F);
  return g.build();
}

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
const ctx = { ...createRunContext({ sessions, progressMode: 'silent' }), calibration };
const FEEDS = { x: { type: 'float32' as const, data: seededWeights(4 * 64, 9, 1), dims: [1, 4, 64] } };

describe.each([9, 11])('gptq at opset %i', (opset) => {
  it('MatMulNBits with a com.microsoft import, the default opset kept: the same codes and outputs as at opset 17', async () => {
    const gptq = async (o: number) => {
      const m = model(o);
      const report = await new GptqCompressor().compress(
        m,
        parseParams(GPTQ_PARAMS, { 'group-size': 16, exclude: ['G'] }, 'gptq'),
        ctx,
      );
      return { m, report };
    };
    const [low, modern] = [await gptq(opset), await gptq(17)];
    expect(low.report.tensors.filter((t) => t.action === 'gptq-4bit').map((t) => t.name)).toEqual(['W1', 'W2']);
    expect([low.m.opset(''), low.m.opset('com.microsoft')]).toEqual([opset, 1]);
    expect(low.m.nodes.filter((n) => n.opType === 'MatMulNBits')).toHaveLength(2);
    for (const b of ['W1_q4', 'W2_q4', 'W1_scales'])
      expect(low.m.getInitializer(b)!.readRaw()).toEqual(modern.m.getInitializer(b)!.readRaw());
    const [got, want] = await Promise.all([runModel(low.m, FEEDS), runModel(modern.m, FEEDS)]);
    const y = Object.keys(want)[0];
    expect(relativeMaxDiff(got[y].data as Float32Array, want[y].data as Float32Array)).toBeLessThanOrEqual(1e-5);
  });

  it('then int4 on the Gemm weight: 4-bit codes (raised to 21, or nibbles with --keep-opset)', async () => {
    for (const keep of [false, true]) {
      const m = model(opset);
      await new GptqCompressor().compress(
        m,
        parseParams(GPTQ_PARAMS, { 'group-size': 16, exclude: ['G'] }, 'gptq'),
        ctx,
      );
      const report = await new Int4Compressor().compress(
        m,
        parseParams(INT4_PARAMS, { 'block-size': 16, 'keep-opset': keep }, 'int4'),
        ctx,
      );
      expect(report.tensors.filter((t) => t.action === 'int4').map((t) => t.name)).toEqual(['G']);
      expect(m.opset('')).toBe(keep ? opset : 21);
      expect(m.getInitializer(keep ? 'G_q4n' : 'G_q4')!.dataType).toBe(keep ? DataType.UINT8 : DataType.INT4);
      const out = await runModel(m, FEEDS);
      expect(Object.values(out)[0].dims).toEqual([4, 64]);
    }
  });
});
