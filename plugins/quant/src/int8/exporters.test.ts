/**
 * int8 on models as other exporters write them (core's exporter-trait models), through the whole
 * compress service: weights in Constant nodes, in If branches, shared, or listed as graph inputs are
 * all found and quantized in place, the written file runs in onnxruntime, and its outputs stay
 * within 2 % (relative L2 over the probe inputs) of the dense model's.
 */
import { DataType, Registry, type CompressReport } from '@mc-kit/core';
import {
  attr,
  compressExporterModel,
  GraphBuilder,
  ifBranchesModel,
  legacyPytorchModel,
  paddleStyleModel,
  seededValues,
  sharedWeightModel,
  tf2onnxStyleModel,
  type ExporterModel,
} from '@mc-kit/core/testing';
import register from '../register.js';
import { testContext } from './testkit.fixture.js';

let registry: Registry;
beforeAll(async () => {
  registry = new Registry();
  registry.addPlugin({ name: '@mc-kit/plugin-quant', version: '0.1.0' }, await register({}));
});

const int8 = (m: ExporterModel) => compressExporterModel(registry, testContext(), m, [{ id: 'int8', params: {} }]);
const quantized = (step: CompressReport) => step.tensors.filter((t) => t.action === 'int8').map((t) => t.name);

describe("int8 on the exporters' traits", () => {
  it('Paddle2ONNX opset 11: the Constant-node weights are quantized', async () => {
    const { result, relativeError } = await int8(paddleStyleModel(11));
    expect(quantized(result.steps[0]).sort()).toEqual(['conv2d_1.w_0', 'conv2d_transpose_0.w_0', 'linear_0.w_0']);
    expect(relativeError).toBeLessThan(0.02);
  });

  it('Paddle2ONNX opset 9: the Constant-node weights are quantized', async () => {
    const { result, relativeError } = await int8(paddleStyleModel(9));
    expect(quantized(result.steps[0]).sort()).toEqual(['conv2d_1.w_0', 'conv2d_transpose_0.w_0', 'linear_0.w_0']);
    expect(relativeError).toBeLessThan(0.02);
  });

  it('legacy PyTorch IR 3: the graph-input weights are quantized, and the output is valid for its IR', async () => {
    const { result, output, relativeError } = await int8(legacyPytorchModel());
    expect(quantized(result.steps[0])).toEqual(['0.weight', '3.weight']);
    const ir = Number(output.proto.irVersion);
    const inputs = new Set(output.inputs.map((v) => v.name));
    if (ir < 4) expect(output.initializerNames().every((n) => inputs.has(n))).toBe(true);
    expect(relativeError).toBeLessThan(0.02);
  });

  it('tf2onnx NHWC with Transposes around the Convs: both Convs and the Gemm head', async () => {
    const { result, relativeError } = await int8(tf2onnxStyleModel());
    expect(quantized(result.steps[0])).toEqual([
      'sequential/conv2d/Conv2D/ReadVariableOp:0',
      'sequential/conv2d_1/Conv2D/ReadVariableOp:0',
      'sequential/dense/MatMul/ReadVariableOp:0',
    ]);
    expect(relativeError).toBeLessThan(0.02);
  });

  it('a weight shared by two MatMuls is quantized once and both still read it', async () => {
    const { result, output, relativeError } = await int8(sharedWeightModel());
    expect(quantized(result.steps[0])).toEqual(['tied.weight', 'head.weight']);
    const dq = output.nodes.filter((n) => n.opType === 'DequantizeLinear' && n.output?.[0] === 'tied.weight');
    expect(dq).toHaveLength(1);
    expect(output.consumers('tied.weight').map((c) => c.node.opType)).toEqual(['MatMul', 'MatMul']);
    expect(relativeError).toBeLessThan(0.02);
  });

  it('If: the weights of both branches and the outer one read inside a branch; both branches run within 2 %', async () => {
    const m = ifBranchesModel();
    const { result, output, relativeError } = await int8(m);
    expect(result.hoistedWeights).toEqual({
      constants: 0,
      fromSubgraphs: 2,
      renamed: [{ from: 'w', to: 'w_1', scope: 'If_0/else_branch' }],
    });
    expect(quantized(result.steps[0])).toEqual(['encoder.weight', 'w', 'w_1']);
    // no float weight is left in a branch
    const bodies = output.nodes.find((n) => n.opType === 'If')!.attribute!.map((a) => a.g!);
    expect(
      bodies.flatMap((b) => [...(b.initializer ?? []), ...(b.node ?? []).filter((n) => n.opType === 'Constant')]),
    ).toEqual([]);
    expect(relativeError).toBeLessThan(0.02); // probes 1..4: both branches, twice each
  });

  it('LSTM W and R and a ConvTranspose weight: per-channel scales along axis 1, within 2 %', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const seq = g.input('seq', DataType.FLOAT, [5, 2, 16]);
    const w = (name: string, dims: number[], fanIn: number, seed: number) =>
      g.initializer(
        name,
        DataType.FLOAT,
        dims,
        seededValues(
          dims.reduce((a, b) => a * b, 1),
          seed,
          Math.sqrt(3 / fanIn),
        ),
      );
    const [y] = g.node(
      'LSTM',
      [seq, w('lstm.W', [1, 128, 16], 16, 1), w('lstm.R', [1, 128, 32], 32, 2), w('lstm.B', [1, 256], 32, 3)],
      { hidden_size: attr.int(32) },
    );
    g.output(y, DataType.FLOAT);
    const img = g.input('img', DataType.FLOAT, [2, 16, 6, 6]);
    const [up] = g.node('ConvTranspose', [img, w('deconv.w', [16, 8, 3, 3], 144, 4)], { strides: attr.ints([2, 2]) });
    g.output(up, DataType.FLOAT);
    const m: ExporterModel = {
      name: 'recurrent',
      model: g.build(),
      probe: (seed) => ({
        seq: { type: 'float32', data: seededValues(160, seed), dims: [5, 2, 16] },
        img: { type: 'float32', data: seededValues(1152, seed + 100), dims: [2, 16, 6, 6] },
      }),
    };
    const { result, output, relativeError } = await int8(m);
    expect(quantized(result.steps[0])).toEqual(['lstm.W', 'lstm.R', 'deconv.w']);
    const axes = output.nodes
      .filter((n) => n.opType === 'DequantizeLinear')
      .map((n) => [n.output?.[0], Number(n.attribute?.find((a) => a.name === 'axis')?.i)]);
    expect(axes).toEqual([
      ['lstm.W', 1],
      ['lstm.R', 1],
      ['deconv.w', 1],
    ]);
    expect(relativeError).toBeLessThan(0.02);
  });
});
