/**
 * Small models with the traits of real exporters, for tests of every method (issue 16): each keeps
 * its weights where that exporter puts them, runs in onnxruntime-node, and has weights of at least
 * 1024 elements (the default --min-size) so that methods select them.
 *
 *   paddleStyleModel(9 | 11)  every tensor a Constant node; BatchNormalization, HardSwish written as
 *                             x·HardSigmoid(x) (HardSwish is opset 14), Resize (Upsample at 9),
 *                             ConvTranspose, a Squeeze head and a Shape-built Reshape
 *   tf2onnxStyleModel()       NHWC input, Transposes around each Conv, ReduceMean, a Gemm head
 *   legacyPytorchModel()      IR 3, opset 9: every initializer also listed as a graph input
 *   sharedWeightModel()       one weight read by two MatMuls
 *   ifBranchesModel()         an If whose branches hold their own weights (both named `w`: an
 *                             initializer in one, a Constant node in the other) and read an outer one
 *
 * Weights are seeded uniform values scaled by 1/sqrt(fan-in), so activations stay near 1 and a
 * relative output error means the same on every model.
 */
import { DataType } from '../onnx/dtypes.js';
import type { OnnxModel } from '../onnx/model.js';
import { createRng } from '../rng.js';
import type { HostTensor } from '../session/types.js';
import { attr, GraphBuilder } from './graph-builder.js';

export interface ExporterModel {
  /** what it imitates, e.g. "Paddle2ONNX, opset 11" */
  readonly name: string;
  readonly model: OnnxModel;
  /** Random inputs for every graph input; the same for the same seed. */
  probe(seed: number): Record<string, HostTensor>;
}

/** `n` seeded values, uniform in [-scale, scale). */
export function seededValues(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * scale);
}

const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
/** A weight of shape `dims` whose outputs sum `fanIn` inputs. */
const weight = (dims: readonly number[], fanIn: number, seed: number) =>
  seededValues(count(dims), seed, Math.sqrt(3 / fanIn));
const floats = (dims: number[], seed: number): HostTensor => ({
  type: 'float32',
  data: seededValues(count(dims), seed),
  dims,
});

/** A Constant node holding `data`, its output named `name` (as Paddle2ONNX names parameters). */
function constant(
  g: GraphBuilder,
  name: string,
  dataType: DataType,
  dims: readonly number[],
  data: ArrayBufferView,
): string {
  return g.node(
    'Constant',
    [],
    { value: attr.tensor(dataType, dims, data) },
    { outputs: [name], name: `${name}_Constant` },
  )[0];
}
const i64 = (...v: number[]) => BigInt64Array.from(v, BigInt);

/** Paddle2ONNX: every weight and every shape a Constant node (see the file comment). */
export function paddleStyleModel(opset: 9 | 11): ExporterModel {
  const g = new GraphBuilder({ opset, irVersion: opset === 9 ? 4 : 6, name: `paddle_opset${opset}` });
  const x = g.input('x', DataType.FLOAT, ['N', 3, 16, 16]);
  const f = (name: string, dims: number[], fanIn: number, seed: number) =>
    constant(g, name, DataType.FLOAT, dims, weight(dims, fanIn, seed));
  const near = (name: string, dims: number[], centre: number, seed: number) =>
    constant(
      g,
      name,
      DataType.FLOAT,
      dims,
      seededValues(count(dims), seed, 0.1).map((v) => centre + v),
    );
  const c1 = g.conv(x, f('conv2d_0.w_0', [16, 3, 3, 3], 27, 1), f('conv2d_0.b_0', [16], 27, 2), { pads: [1, 1, 1, 1] });
  const [bn] = g.node(
    'BatchNormalization',
    [
      c1,
      near('batch_norm_0.w_0', [16], 1, 3),
      near('batch_norm_0.b_0', [16], 0, 4),
      near('batch_norm_0.w_1', [16], 0, 5),
      near('batch_norm_0.w_2', [16], 1, 6),
    ],
    { epsilon: attr.float(1e-5) },
  );
  const hardSwish = g.mul(bn, g.node('HardSigmoid', [bn], { alpha: attr.float(1 / 6), beta: attr.float(0.5) })[0]);
  const c2 = g.relu(
    g.conv(hardSwish, f('conv2d_1.w_0', [32, 16, 3, 3], 144, 7), f('conv2d_1.b_0', [32], 144, 8), {
      strides: [2, 2],
      pads: [1, 1, 1, 1],
    }),
  );
  const scales = constant(g, 'upsample_scales', DataType.FLOAT, [4], Float32Array.of(1, 1, 2, 2));
  const [up] =
    opset === 9
      ? g.node('Upsample', [c2, scales], { mode: 'nearest' })
      : g.node('Resize', [c2, constant(g, 'resize_roi', DataType.FLOAT, [0], new Float32Array(0)), scales], {
          mode: 'nearest',
        });
  const [ct] = g.node(
    'ConvTranspose',
    [up, f('conv2d_transpose_0.w_0', [32, 16, 3, 3], 288, 9), f('conv2d_transpose_0.b_0', [16], 288, 10)],
    { pads: attr.ints([1, 1, 1, 1]) },
  );
  const [squeezed] = g.node('Squeeze', [g.globalAveragePool(ct)], { axes: attr.ints([2, 3]) });
  const logits = g.add(g.matMul(squeezed, f('linear_0.w_0', [16, 64], 16, 11)), f('linear_0.b_0', [64], 16, 12));
  // the batch size read from the input's shape, as Paddle2ONNX writes a reshape to [N, -1]
  const [batch] = g.node('Gather', [g.node('Shape', [x])[0], constant(g, 'dim_0', DataType.INT64, [], i64(0))], {
    axis: 0,
  });
  const [shape] = g.node(
    'Concat',
    [g.node('Unsqueeze', [batch], { axes: attr.ints([0]) })[0], constant(g, 'minus_one', DataType.INT64, [1], i64(-1))],
    { axis: 0 },
  );
  g.output(g.reshape(logits, shape), DataType.FLOAT, ['N', 64]);
  return {
    name: `Paddle2ONNX, opset ${opset}`,
    model: g.build(),
    probe: (seed) => ({ x: floats([2, 3, 16, 16], seed) }),
  };
}

/** tf2onnx: an NHWC input, a Transpose pair around each Conv, a Gemm head; weights as initializers. */
export function tf2onnxStyleModel(): ExporterModel {
  const g = new GraphBuilder({ opset: 13, name: 'tf2onnx' });
  const x = g.input('input_1:0', DataType.FLOAT, ['unk__6', 16, 16, 3]);
  const init = (name: string, dims: number[], fanIn: number, seed: number) =>
    g.initializer(name, DataType.FLOAT, dims, weight(dims, fanIn, seed));
  const toNchw = (t: string) => g.node('Transpose', [t], { perm: attr.ints([0, 3, 1, 2]) })[0];
  const toNhwc = (t: string) => g.node('Transpose', [t], { perm: attr.ints([0, 2, 3, 1]) })[0];
  let h = toNhwc(
    g.relu(
      g.conv(
        toNchw(x),
        init('sequential/conv2d/Conv2D/ReadVariableOp:0', [24, 3, 5, 5], 75, 21),
        init('sequential/conv2d/BiasAdd/ReadVariableOp:0', [24], 75, 22),
        { pads: [2, 2, 2, 2] },
      ),
    ),
  );
  h = toNhwc(
    g.relu(
      g.conv(
        toNchw(h),
        init('sequential/conv2d_1/Conv2D/ReadVariableOp:0', [48, 24, 3, 3], 216, 23),
        init('sequential/conv2d_1/BiasAdd/ReadVariableOp:0', [48], 216, 24),
        { pads: [1, 1, 1, 1] },
      ),
    ),
  );
  const [pooled] = g.node('ReduceMean', [h], { axes: attr.ints([1, 2]), keepdims: attr.int(0) });
  const y = g.gemm(
    pooled,
    init('sequential/dense/MatMul/ReadVariableOp:0', [48, 32], 48, 25),
    init('sequential/dense/BiasAdd/ReadVariableOp:0', [32], 48, 26),
  );
  g.output(y, DataType.FLOAT, ['unk__6', 32]);
  return { name: 'tf2onnx, NHWC', model: g.build(), probe: (seed) => ({ 'input_1:0': floats([2, 16, 16, 3], seed) }) };
}

/** PyTorch before 1.6 (keep_initializers_as_inputs) at IR 3: Conv, MaxPool, Flatten, Gemm (transB). */
export function legacyPytorchModel(): ExporterModel {
  const g = new GraphBuilder({ opset: 9, irVersion: 3, name: 'torch-jit-export' });
  const x = g.input('input.1', DataType.FLOAT, [1, 3, 8, 8]);
  const init = (name: string, dims: number[], fanIn: number, seed: number) =>
    g.initializer(name, DataType.FLOAT, dims, weight(dims, fanIn, seed));
  const conv = g.relu(
    g.conv(x, init('0.weight', [64, 3, 3, 3], 27, 31), init('0.bias', [64], 27, 32), { pads: [1, 1, 1, 1] }),
  );
  const [pooled] = g.node('MaxPool', [conv], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) });
  const y = g.gemm(g.flatten(pooled), init('3.weight', [10, 1024], 1024, 33), init('3.bias', [10], 1024, 34), {
    transB: 1,
  });
  g.output(y, DataType.FLOAT, [1, 10]);
  const proto = g.toProto();
  // IR 3: an initializer must also be a graph input
  for (const t of proto.graph?.initializer ?? []) {
    proto.graph?.input?.push({
      name: t.name,
      type: { tensorType: { elemType: t.dataType, shape: { dim: (t.dims ?? []).map((d) => ({ dimValue: d })) } } },
    });
  }
  return {
    name: 'PyTorch 1.x, IR 3, initializers as inputs',
    model: g.build(),
    probe: (seed) => ({ 'input.1': floats([1, 3, 8, 8], seed) }),
  };
}

/** One weight read by two MatMuls (a tied layer), then a head of its own. */
export function sharedWeightModel(): ExporterModel {
  const g = new GraphBuilder({ opset: 17, name: 'shared' });
  const x = g.input('x', DataType.FLOAT, ['batch', 64]);
  const w = g.initializer('tied.weight', DataType.FLOAT, [64, 64], weight([64, 64], 64, 41));
  const h = g.relu(g.matMul(g.relu(g.matMul(x, w)), w));
  g.output(
    g.matMul(h, g.initializer('head.weight', DataType.FLOAT, [64, 16], weight([64, 16], 64, 42))),
    DataType.FLOAT,
    ['batch', 16],
  );
  return {
    name: 'one weight shared by two MatMuls',
    model: g.build(),
    probe: (seed) => ({ x: floats([2, 64], seed) }),
  };
}

/**
 * An If on a bool input: the then branch reads the outer `encoder.weight` and its own initializer
 * `w`; the else branch holds its own `w` in a Constant node (sibling bodies may reuse a name).
 * Even seeds probe the then branch, odd seeds the else branch.
 */
export function ifBranchesModel(): ExporterModel {
  const g = new GraphBuilder({ opset: 17, name: 'if_branches' });
  const x = g.input('x', DataType.FLOAT, ['batch', 32]);
  const cond = g.input('use_encoder', DataType.BOOL, []);
  const outer = g.initializer('encoder.weight', DataType.FLOAT, [32, 32], weight([32, 32], 32, 51));

  const then = new GraphBuilder({ opset: 17, name: 'then_branch', outerScope: [x, outer] });
  const wThen = then.initializer('w', DataType.FLOAT, [32, 64], weight([32, 64], 32, 52));
  const [hidden] = then.node(
    'Relu',
    [then.node('MatMul', [x, outer], {}, { name: 'then_MatMul_0', outputs: ['then_h0'] })[0]],
    {},
    { name: 'then_Relu', outputs: ['then_h1'] },
  );
  then.output(
    then.node('MatMul', [hidden, wThen], {}, { name: 'then_MatMul_1', outputs: ['then_y'] })[0],
    DataType.FLOAT,
    ['batch', 64],
  );

  const otherwise = new GraphBuilder({ opset: 17, name: 'else_branch', outerScope: [x] });
  const wElse = otherwise.node(
    'Constant',
    [],
    { value: attr.tensor(DataType.FLOAT, [32, 64], weight([32, 64], 32, 53)) },
    { name: 'else_w_Constant', outputs: ['w'] },
  )[0];
  otherwise.output(
    otherwise.node('MatMul', [x, wElse], {}, { name: 'else_MatMul', outputs: ['else_y'] })[0],
    DataType.FLOAT,
    ['batch', 64],
  );

  const [y] = g.node(
    'If',
    [cond],
    { then_branch: attr.graph(then), else_branch: attr.graph(otherwise) },
    { name: 'If_0', outputs: ['y'] },
  );
  g.output(y, DataType.FLOAT, ['batch', 64]);
  return {
    name: 'If with weights in both branches',
    model: g.build(),
    probe: (seed) => ({
      x: floats([2, 32], seed),
      use_encoder: { type: 'bool', data: Uint8Array.of(seed % 2 === 0 ? 1 : 0), dims: [] },
    }),
  };
}

/** Every exporter-trait model, for tests that loop over them. */
export function exporterModels(): ExporterModel[] {
  return [
    paddleStyleModel(9),
    paddleStyleModel(11),
    tf2onnxStyleModel(),
    legacyPytorchModel(),
    sharedWeightModel(),
    ifBranchesModel(),
  ];
}
