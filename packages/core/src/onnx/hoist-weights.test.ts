/**
 * hoistWeights on each form a weight takes in the field: the result holds every float weight as a
 * main-graph initializer with its bytes unchanged, and onnxruntime computes exactly what it computed
 * before (outer-scope reads from If and Loop bodies included).
 */
import { ErrorCodes } from '../errors.js';
import { OrtSessionFactory } from '../session/factory.js';
import type { HostTensor } from '../session/types.js';
import { attr, GraphBuilder } from '../testing/graph-builder.js';
import {
  ifBranchesModel,
  legacyPytorchModel,
  paddleStyleModel,
  seededValues,
  type ExporterModel,
} from '../testing/exporter-models.js';
import { DataType } from './dtypes.js';
import { hoistWeights } from './hoist-weights.js';
import { OnnxModel } from './model.js';
import { pb } from './proto.js';
import { findWeights } from './weight-sources.js';

const sessions = new OrtSessionFactory({ device: 'cpu' });

async function run(model: OnnxModel, feeds: Record<string, HostTensor>): Promise<Record<string, number[]>> {
  const session = await sessions.create(model.toBytes());
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, [...(t.data as Float32Array)]]));
  } finally {
    await session.release();
  }
}

const copy = (m: OnnxModel) => OnnxModel.fromBytes(m.toBytes());

/** Hoist a copy of `m`; its outputs must equal the original's, bit for bit, on `seeds`. */
async function hoistedEqual(m: ExporterModel, seeds: number[]) {
  const model = copy(m.model);
  const report = hoistWeights(model);
  for (const seed of seeds) expect(await run(model, m.probe(seed))).toEqual(await run(m.model, m.probe(seed)));
  return { model, report };
}

describe('hoistWeights', () => {
  it('Paddle2ONNX: every float Constant becomes an initializer named after its output, values unchanged; int64 Constants stay', async () => {
    const m = paddleStyleModel(11);
    const constants = findWeights(m.model);
    const { model, report } = await hoistedEqual(m, [1, 2]);
    expect(report).toEqual({ constants: constants.length, fromSubgraphs: 0, renamed: [] });
    expect(findWeights(model).map((w) => [w.name, w.home])).toEqual(constants.map((w) => [w.name, 'initializer']));
    for (const w of constants) {
      const node = m.model.nodes.find((n) => n.output?.[0] === w.name)!;
      const before = OnnxModel.fromProto({
        graph: { initializer: [{ ...node.attribute![0].t!, name: w.name }] },
      }).getInitializer(w.name)!;
      expect(model.getInitializer(w.name)!.readRaw()).toEqual(before.readRaw());
    }
    expect(model.nodes.filter((n) => n.opType === 'Constant').map((n) => n.output?.[0])).toEqual([
      'dim_0',
      'minus_one',
    ]);
  });

  it('If: branch weights move to the main graph; the sibling that reuses `w` is renamed with its reads; both branches compute as before', async () => {
    const m = ifBranchesModel();
    const { model, report } = await hoistedEqual(m, [1, 2, 3, 4]);
    expect(report).toEqual({
      constants: 0,
      fromSubgraphs: 2,
      renamed: [{ from: 'w', to: 'w_1', scope: 'If_0/else_branch' }],
    });
    expect(findWeights(model).map((w) => [w.name, w.home, w.scope.length])).toEqual([
      ['encoder.weight', 'initializer', 0],
      ['w', 'initializer', 0],
      ['w_1', 'initializer', 0],
    ]);
    const [then, otherwise] = model.nodes[0].attribute!.map((a) => a.g!);
    expect([then.initializer, otherwise.node?.map((n) => n.opType)]).toEqual([[], ['MatMul']]);
    expect(otherwise.node?.[0].input).toEqual(['x', 'w_1']);
    expect(model.consumers('w').map((c) => c.node.name)).toEqual(['then_MatMul_1']);
  });

  it('a Loop body: its initializer moves out, its read of an outer weight stays; the loop computes as before', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, [2, 16]);
    const trips = g.initializer('trips', DataType.INT64, [], BigInt64Array.of(3n));
    const outer = g.initializer('outer.w', DataType.FLOAT, [16, 16], seededValues(256, 7, 0.25));
    const body = new GraphBuilder({ opset: 17, outerScope: [outer] });
    body.input('i', DataType.INT64, []);
    const keep = body.input('cond_in', DataType.BOOL, []);
    const v = body.input('v', DataType.FLOAT, [2, 16]);
    const inner = body.initializer('body.w', DataType.FLOAT, [16, 16], seededValues(256, 8, 0.25));
    const [h] = body.node('MatMul', [v, inner], {}, { name: 'body_MatMul_0', outputs: ['body_h'] });
    body.output(body.node('Identity', [keep], {}, { name: 'body_cond', outputs: ['cond_out'] })[0], DataType.BOOL, []);
    body.output(
      body.node(
        'Tanh',
        [body.node('MatMul', [h, outer], {}, { name: 'body_MatMul_1', outputs: ['body_h2'] })[0]],
        {},
        { name: 'body_Tanh', outputs: ['v_out'] },
      )[0],
      DataType.FLOAT,
      [2, 16],
    );
    const cond = g.initializer('go', DataType.BOOL, [], Uint8Array.of(1));
    const [y] = g.node('Loop', [trips, cond, x], { body: attr.graph(body) }, { name: 'Loop_0', outputs: ['y'] });
    g.output(y, DataType.FLOAT, [2, 16]);
    const m: ExporterModel = {
      name: 'loop',
      model: g.build(),
      probe: (seed) => ({ x: { type: 'float32', data: seededValues(32, seed), dims: [2, 16] } }),
    };
    const { model, report } = await hoistedEqual(m, [1]);
    expect(report).toEqual({ constants: 0, fromSubgraphs: 1, renamed: [] });
    expect(model.initializerNames()).toEqual(['trips', 'outer.w', 'go', 'body.w']);
    expect(model.nodes[0].attribute![0].g!.initializer).toEqual([]);
  });

  it('a Scan body: its initializer moves out; the scan computes as before', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const xs = g.input('xs', DataType.FLOAT, [5, 4]);
    const init = g.initializer('s0', DataType.FLOAT, [4], new Float32Array(4));
    const body = new GraphBuilder({ opset: 17 });
    const state = body.input('s', DataType.FLOAT, [4]);
    const x = body.input('x_t', DataType.FLOAT, [4]);
    const gain = body.initializer('scan.gain', DataType.FLOAT, [4], Float32Array.of(0.5, -1, 2, 0.25));
    const [next] = body.node(
      'Add',
      [state, body.node('Mul', [x, gain], {}, { name: 'scan_mul', outputs: ['scan_xg'] })[0]],
      {},
      { name: 'scan_add', outputs: ['s_next'] },
    );
    body.output(next, DataType.FLOAT, [4]);
    body.output(body.node('Identity', [next], {}, { name: 'scan_id', outputs: ['y_t'] })[0], DataType.FLOAT, [4]);
    const [, ys] = g.node(
      'Scan',
      [init, xs],
      { body: attr.graph(body), num_scan_inputs: 1 },
      { name: 'Scan_0', outputs: ['s_final', 'ys'] },
    );
    g.output(ys, DataType.FLOAT, [5, 4]);
    const m: ExporterModel = {
      name: 'scan',
      model: g.build(),
      probe: (seed) => ({ xs: { type: 'float32', data: seededValues(20, seed), dims: [5, 4] } }),
    };
    const { model, report } = await hoistedEqual(m, [1, 2]);
    expect(report).toEqual({ constants: 0, fromSubgraphs: 1, renamed: [] });
    expect(model.initializerNames()).toEqual(['s0', 'scan.gain']);
  });

  it('a body inside a body: a renamed weight is renamed in the nested body that reads it too', async () => {
    // then: its own `k`; else: a Constant `k` read by a nested If's branch (from two scopes out)
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, [2, 8]);
    const c = g.input('c', DataType.BOOL, []);
    const branch = (name: string, ...scope: string[]) => new GraphBuilder({ opset: 17, name, outerScope: scope });
    const then = branch('then', x);
    then.initializer('k', DataType.FLOAT, [8, 8], seededValues(64, 1));
    then.output(then.node('MatMul', [x, 'k'], {}, { name: 't_mm', outputs: ['t_y'] })[0], DataType.FLOAT);
    const otherwise = branch('else', x, c);
    otherwise.node(
      'Constant',
      [],
      { value: attr.tensor(DataType.FLOAT, [8, 8], seededValues(64, 2)) },
      { name: 'e_k', outputs: ['k'] },
    );
    const deepThen = branch('deep_then', x, 'k');
    deepThen.output(deepThen.node('MatMul', [x, 'k'], {}, { name: 'd_mm', outputs: ['d_y'] })[0], DataType.FLOAT);
    const deepElse = branch('deep_else', x);
    deepElse.output(deepElse.node('Neg', [x], {}, { name: 'd_neg', outputs: ['d_n'] })[0], DataType.FLOAT);
    otherwise.output(
      otherwise.node(
        'If',
        [c],
        { then_branch: attr.graph(deepThen), else_branch: attr.graph(deepElse) },
        { name: 'deep_if', outputs: ['e_y'] },
      )[0],
      DataType.FLOAT,
    );
    const [y] = g.node(
      'If',
      [c],
      { then_branch: attr.graph(then), else_branch: attr.graph(otherwise) },
      { name: 'top', outputs: ['y'] },
    );
    g.output(y, DataType.FLOAT);
    // c true: the top then branch runs (checked by hoistedEqual)
    const m: ExporterModel = {
      name: 'nested',
      model: g.build(),
      probe: (seed) => ({
        x: { type: 'float32', data: seededValues(16, seed), dims: [2, 8] },
        c: { type: 'bool', data: Uint8Array.of(1), dims: [] },
      }),
    };
    const { model, report } = await hoistedEqual(m, [1]);
    expect(report.renamed).toEqual([{ from: 'k', to: 'k_1', scope: 'top/else_branch' }]);
    const elseBody = model.nodes.find((n) => n.name === 'top')!.attribute!.find((a) => a.name === 'else_branch')!.g!;
    expect(
      elseBody.node!.find((n) => n.name === 'deep_if')!.attribute!.find((a) => a.name === 'then_branch')!.g!.node![0]
        .input,
    ).toEqual(['x', 'k_1']);
    // The nested branch runs when the top takes else and deep_if takes then: the top reads Not(c).
    const flipped = copy(model);
    const top = flipped.nodes.find((n) => n.name === 'top')!;
    flipped.nodes.splice(0, 0, { opType: 'Not', input: ['c'], output: ['not_c'], name: 'not' });
    top.input = ['not_c'];
    const before = copy(m.model);
    before.nodes.splice(0, 0, { opType: 'Not', input: ['c'], output: ['not_c'], name: 'not' });
    before.nodes.find((n) => n.name === 'top')!.input = ['not_c'];
    expect(await run(flipped, m.probe(1))).toEqual(await run(before, m.probe(1)));
  });

  it('value_float and value_floats Constants become float32 tensors of shape [] and [n]', () => {
    const g = new GraphBuilder({ opset: 13 });
    const x = g.input('x', DataType.FLOAT, [4]);
    const [s] = g.node('Constant', [], { value_float: attr.float(0.1) }, { outputs: ['scale'] });
    const [v] = g.node('Constant', [], { value_floats: attr.floats([0.5, -1.25, 3.0e-8, 7]) }, { outputs: ['shift'] });
    g.output(g.add(g.mul(x, s), v), DataType.FLOAT);
    const model = g.build();
    expect(hoistWeights(model).constants).toBe(2);
    expect([model.getInitializer('scale')!.dims, [...model.getInitializer('scale')!.readFloat32()]]).toEqual([
      [],
      [Math.fround(0.1)],
    ]);
    expect([model.getInitializer('shift')!.dims, [...model.getInitializer('shift')!.readFloat32()]]).toEqual([
      [4],
      [0.5, -1.25, Math.fround(3.0e-8), 7],
    ]);
  });

  it('IR 3: moved tensors are listed as graph inputs too, as IR 3 requires; the model stays IR 3 and runs', async () => {
    const m = legacyPytorchModel();
    const model = copy(m.model);
    // one more weight, as a Constant node read by a Mul
    model.nodes.unshift({
      opType: 'Constant',
      output: ['gain'],
      attribute: [
        {
          name: 'value',
          type: pb.AttributeProto.AttributeType.TENSOR,
          t: { dataType: DataType.FLOAT, dims: [1], floatData: [2] },
        },
      ],
    });
    const out = model.outputs[0].name!;
    const gemm = model.nodes.find((n) => n.opType === 'Gemm')!;
    gemm.output = ['pre'];
    model.nodes.push({ opType: 'Mul', input: ['pre', 'gain'], output: [out] });
    expect(hoistWeights(model)).toEqual({ constants: 1, fromSubgraphs: 0, renamed: [] });
    expect(Number(model.proto.irVersion)).toBe(3);
    const inputs = new Set(model.inputs.map((v) => v.name));
    expect(model.initializerNames().every((n) => inputs.has(n))).toBe(true);
    const doubled = (await run(m.model, m.probe(1)))[out].map((v) => 2 * v);
    expect((await run(model, m.probe(1)))[out]).toEqual(doubled);
  });

  it('a model with nothing to move is left byte for byte as it was', () => {
    const model = copy(legacyPytorchModel().model);
    const before = model.toBytes();
    expect(hoistWeights(model)).toEqual({ constants: 0, fromSubgraphs: 0, renamed: [] });
    expect(model.toBytes()).toEqual(before);
  });
});

describe('hoistWeights refuses Constants that cannot be weights (one line, exit 2, naming the op and opset)', () => {
  /** x [2, 4] · w [4, 3], with w a Constant whose attribute is `value` as given */
  function matmulOnConstant(opset: number, value: Parameters<typeof Object.assign>[1]) {
    const g = new GraphBuilder({ opset });
    const x = g.input('x', DataType.FLOAT, [2, 4]);
    const [w] = g.node(
      'Constant',
      [],
      { value: attr.tensor(DataType.FLOAT, [4, 3], new Float32Array(12)) },
      { name: 'w_const', outputs: ['w'] },
    );
    g.output(g.node('MatMul', [x, w], {}, { name: 'fc' })[0], DataType.FLOAT);
    const model = g.build();
    model.nodes[0].attribute = [Object.assign({ name: 'value' }, value)];
    return model;
  }
  const A = pb.AttributeProto.AttributeType;
  const refusal = (model: OnnxModel) => {
    try {
      hoistWeights(model);
    } catch (e) {
      return e as { code: string; exitCode: number; message: string };
    }
    throw new Error('not refused');
  };

  it('a sparse Constant read as a MatMul weight', () => {
    const sparse = {
      dims: [4, 3],
      values: { dataType: DataType.FLOAT, dims: [1], floatData: [1] },
      indices: { dataType: DataType.INT64, dims: [1], int64Data: [5] },
    };
    const e = refusal(matmulOnConstant(11, { name: 'sparse_value', type: A.SPARSE_TENSOR, sparseTensor: sparse }));
    expect([e.code, e.exitCode]).toEqual([ErrorCodes.BAD_MODEL, 2]);
    expect(e.message).toBe(
      'Constant node w_const (opset 11) holds a sparse tensor where MatMul node fc reads its weight; mc rewrites dense float weights',
    );
  });

  it('a string Constant read as a MatMul weight', () => {
    const e = refusal(
      matmulOnConstant(13, {
        type: A.TENSOR,
        t: {
          dataType: DataType.STRING,
          dims: [4, 3],
          stringData: Array.from({ length: 12 }, () => new Uint8Array([97])),
        },
      }),
    );
    expect(e.message).toBe(
      'Constant node w_const (opset 13) holds strings where MatMul node fc reads its weight; mc rewrites dense float weights',
    );
  });

  it('a Constant with no value, or with raw_data of the wrong size', () => {
    const none = matmulOnConstant(13, {});
    none.nodes[0].attribute = [];
    expect(refusal(none).message).toBe('Constant node w_const (opset 13) has no value attribute');
    const short = refusal(
      matmulOnConstant(9, {
        type: A.TENSOR,
        t: { dataType: DataType.FLOAT, dims: [4, 3], rawData: new Uint8Array(40) },
      }),
    );
    expect(short.message).toBe(
      'Constant node w_const (opset 9) holds 40 bytes of raw_data, but its shape [4, 3] needs 48',
    );
  });

  it('a string Constant read as Gather data is a lookup table, not a weight: left alone', () => {
    const g = new GraphBuilder({ opset: 13 });
    const i = g.input('i', DataType.INT64, [2]);
    const [labels] = g.node('Constant', [], {}, { outputs: ['labels'] });
    g.output(g.gather(labels, i), DataType.STRING);
    const model = g.build();
    model.nodes[0].attribute = [
      {
        name: 'value',
        type: A.TENSOR,
        t: { dataType: DataType.STRING, dims: [2], stringData: [new Uint8Array([97]), new Uint8Array([98])] },
      },
    ];
    expect(hoistWeights(model)).toEqual({ constants: 0, fromSubgraphs: 0, renamed: [] });
  });
});
