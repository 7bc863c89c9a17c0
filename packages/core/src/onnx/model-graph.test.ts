import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ifBranchesModel, paddleStyleModel } from '../testing/exporter-models.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { DataType } from './dtypes.js';
import { hoistWeights } from './hoist-weights.js';
import { OnnxModel, type NodeProto } from './model.js';
import { findWeights } from './weight-sources.js';

/** x -> Relu -> Identity -> y, with a weight w read by a Mul after it. */
function chain(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [2]);
  const w = g.initializer('w', DataType.FLOAT, [2], Float32Array.of(2, 3));
  const r = g.relu(x);
  const i = g.identity(r);
  g.output(g.mul(i, w), DataType.FLOAT, [2]);
  g.output(r, DataType.FLOAT, [2]);
  return g.build();
}

const ops = (m: OnnxModel) => m.nodes.map((n) => n.name);

describe('consumers / producer', () => {
  it('finds readers with their input slot, and the producer', () => {
    const m = chain();
    expect(m.consumers('Relu_0_out').map((c) => [c.node.name, c.inputIndex])).toEqual([['Identity_0', 0]]);
    expect(m.consumers('w').map((c) => [c.node.name, c.inputIndex])).toEqual([['Mul_0', 1]]);
    expect(m.consumers('Mul_0_out')).toEqual([]); // graph outputs are not consumers
    expect(m.producer('Identity_0_out')?.name).toBe('Identity_0');
    expect(m.producer('x')).toBeUndefined();
  });

  it('sees inputs rewired in place, with no stale index', () => {
    const m = chain();
    expect(m.consumers('x')).toHaveLength(1);
    m.consumers('Relu_0_out')[0].node.input![0] = 'x';
    expect(m.consumers('x').map((c) => c.node.name)).toEqual(['Relu_0', 'Identity_0']);
    expect(m.consumers('Relu_0_out')).toEqual([]);
  });

  it('includes nodes inside subgraphs that read an outer-scope tensor', () => {
    const m = chain();
    const branch = {
      name: 'then',
      node: [{ opType: 'Identity', input: ['w'], output: ['t'] }],
      output: [{ name: 't' }],
    };
    m.addNode({
      name: 'if',
      opType: 'If',
      input: ['cond'],
      output: ['o'],
      attribute: [{ name: 'then_branch', type: 5, g: branch }],
    });
    expect(m.consumers('w').map((c) => c.node.opType)).toEqual(['Mul', 'Identity']);
  });
});

describe('addNode keeps topological order', () => {
  it('inserts before the first node that consumes one of its outputs', () => {
    const m = chain();
    const scale: NodeProto = { name: 'scale', opType: 'Mul', input: ['Relu_0_out', 'w'], output: ['scaled'] };
    m.nodes.find((n) => n.name === 'Mul_0')!.input![0] = 'scaled';
    m.addNode(scale);
    expect(ops(m)).toEqual(['Relu_0', 'Identity_0', 'scale', 'Mul_0']);

    const first: NodeProto = { name: 'first', opType: 'Neg', input: ['x'], output: ['negx', 'unused'] };
    m.nodes[0].input![0] = 'negx';
    m.addNode(first);
    expect(ops(m)[0]).toBe('first');
  });

  it('appends a node nobody consumes, and places one before an If whose branch reads it', () => {
    const m = chain();
    m.addNode({ name: 'tail', opType: 'Neg', input: ['x'], output: ['n'] });
    expect(ops(m).at(-1)).toBe('tail');
    const branch = {
      name: 'b',
      node: [{ opType: 'Identity', input: ['late'], output: ['t'] }],
      output: [{ name: 't' }],
    };
    m.addNode({
      name: 'if',
      opType: 'If',
      input: ['cond'],
      output: ['o'],
      attribute: [{ name: 'then_branch', type: 5, g: branch }],
    });
    m.addNode({ name: 'makes-late', opType: 'Neg', input: ['x'], output: ['late'] });
    expect(ops(m).slice(-3)).toEqual(['tail', 'makes-late', 'if']);
  });

  it('removeNode removes by identity and refuses a node not in the graph', () => {
    const m = chain();
    m.removeNode(m.nodes[1]);
    expect(ops(m)).toEqual(['Relu_0', 'Mul_0']);
    expect(() => m.removeNode({ name: 'ghost', opType: 'Relu' })).toThrow(/not in the graph/);
  });
});

describe('uniqueName', () => {
  it('derives fresh names, never handing out the same one twice', () => {
    const m = chain();
    expect(m.uniqueName('w')).toBe('w_1');
    expect(m.uniqueName('w')).toBe('w_2');
    expect(m.uniqueName('w_q')).toBe('w_q');
    expect(m.uniqueName('w_q')).toBe('w_q_1');
    expect(m.uniqueName('Relu_0')).toBe('Relu_0_1'); // node names are avoided too
  });

  it('sees names added through the API and by direct edits of the proto', () => {
    const m = chain();
    expect(m.uniqueName('a')).toBe('a');
    m.addNode({ name: 'n1', opType: 'Neg', input: ['x'], output: ['b'] });
    expect(m.uniqueName('b')).toBe('b_1');
    m.setInitializer('c', DataType.FLOAT, [1], Float32Array.of(1));
    expect(m.uniqueName('c')).toBe('c_1');
    m.nodes.push({ name: 'n2', opType: 'Neg', input: ['x'], output: ['d'] });
    expect(m.uniqueName('d')).toBe('d_1');
  });
});

describe('initializers', () => {
  it('lists, gets, replaces and removes them; removing also drops an IR<4 style graph input', () => {
    const m = chain();
    m.inputs.push({ name: 'w' });
    expect(m.initializerNames()).toEqual(['w']);
    expect(m.getInitializer('nope')).toBeUndefined();
    m.setInitializer('w2', DataType.INT8, [2], Int8Array.of(-1, 1));
    expect(m.initializerNames()).toEqual(['w', 'w2']);
    m.removeInitializer('w');
    expect(m.initializerNames()).toEqual(['w2']);
    expect(m.inputs.map((i) => i.name)).toEqual(['x']);
    expect(m.getInitializer('w')).toBeUndefined();
    // Direct edits of the proto are seen too.
    m.proto.graph!.initializer!.push({ name: 'direct', dataType: DataType.FLOAT, dims: [1], floatData: [4] });
    expect(m.getInitializer('direct')!.readFloat32()[0]).toBe(4);
  });

  it('drops a stale value_info when an initializer changes type or shape', () => {
    const m = chain();
    m.proto.graph!.valueInfo = [{ name: 'w', type: { tensorType: { elemType: DataType.FLOAT } } }];
    m.setInitializer('w', DataType.FLOAT, [2], Float32Array.of(5, 6));
    expect(m.proto.graph!.valueInfo).toHaveLength(1);
    m.setInitializer('w', DataType.FLOAT16, [2], Uint16Array.of(0x3c00, 0x3c00));
    expect(m.proto.graph!.valueInfo).toHaveLength(0);
  });

  it('counts float parameters only', () => {
    const m = chain();
    m.setInitializer('h', DataType.FLOAT16, [3], Uint16Array.of(1, 2, 3));
    m.setInitializer('bf', DataType.BFLOAT16, [1], Uint16Array.of(1));
    m.setInitializer('d', DataType.DOUBLE, [1], Float64Array.of(1));
    m.setInitializer('q', DataType.INT8, [10], new Int8Array(10));
    m.setInitializer('shape', DataType.INT64, [2], BigInt64Array.of(1n, 2n));
    expect(m.parameterCount()).toBe(2 + 3 + 1 + 1);
    expect(m.initializerBytes()).toBe(8 + 6 + 2 + 8 + 10 + 16);
  });

  it('counts float weights wherever the exporter put them: Constant nodes and If bodies too, the same before and after hoisting', () => {
    // outer initializer 32x32, then-branch initializer 32x64, else-branch Constant 32x64
    const { model } = ifBranchesModel();
    expect(model.initializerNames()).toEqual(['encoder.weight']);
    expect(model.parameterCount()).toBe(32 * 32 + 32 * 64 + 32 * 64);
    hoistWeights(model);
    expect(model.parameterCount()).toBe(32 * 32 + 32 * 64 + 32 * 64);
    // Paddle2ONNX keeps every weight in a Constant node: no initializer at all
    const paddle = paddleStyleModel(11).model;
    expect(paddle.initializerNames()).toEqual([]);
    expect(paddle.parameterCount()).toBe(findWeights(paddle).reduce((n, w) => n + w.elementCount, 0));
    expect(paddle.parameterCount()).toBeGreaterThan(0);
  });
});

describe('opsets and metadata', () => {
  it('reads and sets opsets; "" and "ai.onnx" are one domain', () => {
    const m = chain();
    expect(m.opset()).toBe(17);
    expect(m.opset('ai.onnx')).toBe(17);
    expect(m.opset('com.microsoft')).toBeUndefined();
    m.setOpset('ai.onnx', 21);
    m.setOpset('com.microsoft', 1);
    expect(m.opset('')).toBe(21);
    expect(m.opset('com.microsoft')).toBe(1);
    expect(m.proto.opsetImport).toHaveLength(2);
  });

  it('gets and sets metadata_props, and both survive save + load', async () => {
    const m = chain();
    expect(m.metadata()).toEqual({});
    m.setMetadata('mc.method', 'int8');
    m.setMetadata('mc.bits_per_weight', '8.25');
    m.setMetadata('mc.method', 'int4');
    m.setOpset('com.microsoft', 1);
    expect(m.getMetadata('mc.method')).toBe('int4');
    expect(m.getMetadata('absent')).toBeUndefined();
    const dir = await fs.mkdtemp(join(tmpdir(), 'mc-onnx-meta-'));
    try {
      await m.save(join(dir, 'm.onnx'));
      const back = await OnnxModel.load(join(dir, 'm.onnx'));
      expect(back.metadata()).toEqual({ 'mc.method': 'int4', 'mc.bits_per_weight': '8.25' });
      expect([back.opset(), back.opset('com.microsoft')]).toEqual([17, 1]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
