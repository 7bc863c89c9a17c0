/**
 * The exporter-trait models hold their weights where each exporter puts them, and run in
 * onnxruntime-node as built (the methods' tests rely on both).
 */
import { DataType } from '../onnx/dtypes.js';
import { findWeights } from '../onnx/weight-sources.js';
import { OrtSessionFactory } from '../session/factory.js';
import {
  exporterModels,
  ifBranchesModel,
  legacyPytorchModel,
  paddleStyleModel,
  sharedWeightModel,
  tf2onnxStyleModel,
  type ExporterModel,
} from './exporter-models.js';

const sessions = new OrtSessionFactory({ device: 'cpu' });

async function run(m: ExporterModel, seed: number) {
  const session = await sessions.create(m.model.toBytes());
  try {
    return await session.run(m.probe(seed));
  } finally {
    await session.release();
  }
}

const homes = (m: ExporterModel) =>
  Object.fromEntries(
    findWeights(m.model)
      .filter((w) => w.elementCount >= 1024)
      .map((w) => [w.name, w.home]),
  );

describe('exporter-trait models', () => {
  it.each(exporterModels().map((m) => [m.name, m] as const))(
    '%s runs in onnxruntime with finite outputs that depend on the input',
    async (_, m) => {
      const [a, b] = [await run(m, 1), await run(m, 3)];
      for (const [name, t] of Object.entries(a)) {
        const values = [...(t.data as Float32Array)];
        expect(values.every(Number.isFinite)).toBe(true);
        expect(values).not.toEqual([...(b[name].data as Float32Array)]);
      }
    },
  );

  it('Paddle2ONNX: no initializer at all, every weight a Constant node; Upsample at opset 9, Resize at 11', () => {
    for (const opset of [9, 11] as const) {
      const m = paddleStyleModel(opset);
      expect(m.model.initializerNames()).toEqual([]);
      expect(homes(m)).toEqual({
        'conv2d_1.w_0': 'constant',
        'conv2d_transpose_0.w_0': 'constant',
        'linear_0.w_0': 'constant',
      });
      const ops = new Set(m.model.nodes.map((n) => n.opType));
      expect(
        [
          opset === 9 ? 'Upsample' : 'Resize',
          'BatchNormalization',
          'HardSigmoid',
          'ConvTranspose',
          'Squeeze',
          'Shape',
        ].every((op) => ops.has(op)),
      ).toBe(true);
      expect(ops.has('HardSwish')).toBe(false); // HardSwish is opset 14
    }
  });

  it('tf2onnx: NHWC input with a Transpose before and after each Conv, a Gemm head', () => {
    const m = tf2onnxStyleModel();
    expect(m.model.inputs[0].type?.tensorType?.shape?.dim?.map((d) => d.dimValue ?? d.dimParam)).toEqual([
      'unk__6',
      16,
      16,
      3,
    ]);
    expect(m.model.nodes.filter((n) => n.opType === 'Transpose')).toHaveLength(4);
    expect(m.model.nodes.at(-1)?.opType).toBe('Gemm');
  });

  it('legacy PyTorch: IR 3, every initializer also a graph input', () => {
    const m = legacyPytorchModel();
    expect(Number(m.model.proto.irVersion)).toBe(3);
    const inputs = new Set(m.model.inputs.map((v) => v.name));
    expect(m.model.initializerNames().every((n) => inputs.has(n))).toBe(true);
    expect(homes(m)).toEqual({ '0.weight': 'graph-input', '3.weight': 'graph-input' });
  });

  it('one weight read by two MatMuls', () => {
    const m = sharedWeightModel();
    expect(m.model.consumers('tied.weight').map((c) => c.node.opType)).toEqual(['MatMul', 'MatMul']);
  });

  it('If: an initializer w in one branch, a Constant w in the other, an outer weight read inside a branch; the seed picks the branch', async () => {
    const m = ifBranchesModel();
    expect(findWeights(m.model).map((w) => [w.name, w.home, w.scope.join('>')])).toEqual([
      ['encoder.weight', 'initializer', ''],
      ['w', 'subgraph-initializer', 'If_0/then_branch'],
      ['w', 'subgraph-constant', 'If_0/else_branch'],
    ]);
    expect(m.model.consumers('encoder.weight').map((c) => c.node.name)).toEqual(['then_MatMul_0']);
    expect(m.probe(2).use_encoder.data[0]).toBe(1);
    expect(m.probe(1).use_encoder.data[0]).toBe(0);
    expect(m.model.inputs.find((v) => v.name === 'use_encoder')?.type?.tensorType?.elemType).toBe(DataType.BOOL);
  });
});
