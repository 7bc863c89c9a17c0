/**
 * Magnitude pruning on models as other exporters write them (core's exporter-trait models), through
 * the whole compress service: weights in Constant nodes, in If branches, shared, or listed as graph
 * inputs are pruned in place under their own names, tensors nobody prunes keep their bytes, the
 * written file runs in onnxruntime, and its outputs stay close to the dense model's.
 *
 * The bound: --sparsity 0.1 zeroes the 10 % smallest |w| of each weight. Of uniform weights that is
 * 0.1 % of each layer's energy (∫₀^0.1 x² dx / ∫₀^1 x² dx), about 3 % of a layer's output on random
 * inputs; a model of two or three pruned layers stays under 10 %.
 */
import { Registry, type CompressReport, type OnnxModel } from '@mc-kit/core';
import {
  compressExporterModel,
  exporterModels,
  ifBranchesModel,
  legacyPytorchModel,
  paddleStyleModel,
  type ExporterModel,
} from '@mc-kit/core/testing';
import register from './register.js';
import { testContext } from './testkit.fixture.js';

let registry: Registry;
beforeAll(async () => {
  registry = new Registry();
  registry.addPlugin({ name: '@mc-kit/plugin-prune', version: '0.1.0' }, await register({}));
});

const prune = (m: ExporterModel) =>
  compressExporterModel(registry, testContext(), m, [{ id: 'prune', params: { sparsity: 0.1 } }]);
const pruned = (step: CompressReport) => step.tensors.filter((t) => t.action === 'prune-magnitude').map((t) => t.name);
const zeros = (model: OnnxModel, name: string) =>
  model
    .getInitializer(name)!
    .readFloat32()
    .filter((v) => v === 0).length / model.getInitializer(name)!.elementCount;

describe("magnitude pruning on the exporters' traits", () => {
  it.each(exporterModels().map((m) => [m.name, m] as const))(
    '%s: pruned in place, runs, within 10 %% of dense',
    async (_, m) => {
      const { result, output, relativeError } = await prune(m);
      const names = pruned(result.steps[0]);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(zeros(output, name)).toBeCloseTo(0.1, 2);
      expect(relativeError).toBeLessThan(0.1);
      expect(relativeError).toBeGreaterThan(0);
    },
  );

  it('Paddle2ONNX: the Conv weight held in a Constant node is pruned; the head and ConvTranspose stay dense, said once per reason', async () => {
    const m = paddleStyleModel(11);
    const { result, output } = await prune(m);
    expect(result.hoistedWeights?.constants).toBe(14);
    expect(pruned(result.steps[0])).toEqual(['conv2d_1.w_0']);
    // a tensor nobody prunes keeps its bytes
    const before = m.model.nodes.find((n) => n.output?.[0] === 'conv2d_transpose_0.w_0')!.attribute![0].t!.rawData!;
    expect(output.getInitializer('conv2d_transpose_0.w_0')!.readRaw()).toEqual(Uint8Array.from(before));
    expect(result.steps[0].notes).toEqual(
      expect.arrayContaining([
        '1 tensor (4,608 elements) left dense: ConvTranspose weights are not pruned (conv2d_transpose_0.w_0)',
        '1 tensor (1,024 elements) left dense: output layer (LM head): stays dense (LLM-KICK); --include names it to prune (linear_0.w_0)',
      ]),
    );
  });

  it('If: the weights inside both branches are pruned where the branches read them', async () => {
    const { result, output } = await prune(ifBranchesModel());
    expect(pruned(result.steps[0])).toEqual(['encoder.weight', 'w', 'w_1']);
    expect(output.consumers('w_1').map((c) => c.node.name)).toEqual(['else_MatMul']);
  });

  it('legacy PyTorch IR 3: stays IR 3 with every initializer a graph input', async () => {
    const { result, output } = await prune(legacyPytorchModel());
    expect(pruned(result.steps[0])).toEqual(['0.weight']);
    expect(Number(output.proto.irVersion)).toBe(3);
    const inputs = new Set(output.inputs.map((v) => v.name));
    expect(output.initializerNames().every((n) => inputs.has(n))).toBe(true);
  });
});
