import { DataType } from '../onnx/dtypes.js';
import type { OnnxModel } from '../onnx/model.js';
import { OrtSessionFactory } from '../session/factory.js';
import type { HostTensor } from '../session/types.js';
import { attr, GraphBuilder } from './graph-builder.js';

const factory = new OrtSessionFactory({ device: 'cpu' });

async function run(model: OnnxModel, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const session = await factory.create(model.toBytes());
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

const f32 = (data: number[], dims: number[]): HostTensor => ({ type: 'float32', data: Float32Array.from(data), dims });
const values = (t: HostTensor) => [...(t.data as Float32Array)];

// Every expected value below is worked out by hand in the comment beside it.
describe('GraphBuilder models run in onnxruntime-node', () => {
  it('MatMul + Add + Relu', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, ['batch', 4]);
    const w = g.initializer('w', DataType.FLOAT, [4, 3], Float32Array.of(1, 0, -1, 0, 1, 0, 1, 1, 1, 0, 0, 1));
    const b = g.initializer('b', DataType.FLOAT, [3], Float32Array.of(0.5, -2, -10));
    const y = g.relu(g.add(g.matMul(x, w), b));
    g.output(y, DataType.FLOAT, ['batch', 3]);
    const out = await run(g.build(), { x: f32([1, 2, 3, 4, -1, 0, 1, 0], [2, 4]) });
    // x.w = [[1+3, 2+3, -1+3+4], [-1+1, 0+1, 1+1]] = [[4, 5, 6], [0, 1, 2]]; + b = [[4.5, 3, -4], [0.5, -1, -8]]; relu
    expect(out[y].dims).toEqual([2, 3]);
    expect(values(out[y])).toEqual([4.5, 3, 0, 0.5, 0, 0]);
  });

  it('Gemm with transB, alpha and beta', async () => {
    const g = new GraphBuilder();
    const a = g.input('a', DataType.FLOAT, [2, 3]);
    const bT = g.initializer('bT', DataType.FLOAT, [4, 3], Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1));
    const c = g.initializer('c', DataType.FLOAT, [4], Float32Array.of(1, 1, 1, 1));
    const y = g.gemm(a, bT, c, { alpha: 2, beta: 0.5, transB: true });
    g.output(y, DataType.FLOAT);
    const out = await run(g.build(), { a: f32([1, 2, 3, 0, 1, 0], [2, 3]) });
    // a.bT^T = [[1, 2, 3, 6], [0, 1, 0, 1]]; * 2 + 0.5 = [[2.5, 4.5, 6.5, 12.5], [0.5, 2.5, 0.5, 2.5]]
    expect(values(out[y])).toEqual([2.5, 4.5, 6.5, 12.5, 0.5, 2.5, 0.5, 2.5]);
  });

  it('Conv with strides, pads, kernel_shape, dilations, group', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 1, 3, 3]);
    const w = g.initializer('w', DataType.FLOAT, [1, 1, 2, 2], Float32Array.of(1, 0, 0, -1));
    const b = g.initializer('b', DataType.FLOAT, [1], Float32Array.of(10));
    const y = g.conv(x, w, b, {
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      kernelShape: [2, 2],
      dilations: [1, 1],
      group: 1,
    });
    g.output(y, DataType.FLOAT);
    const out = await run(g.build(), { x: f32([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]) });
    // Zero-padded 5x5 input p; out[i][j] = p[2i][2j] - p[2i+1][2j+1] + 10:
    // [0 - 1 + 10, 0 - 3 + 10, 0 - 7 + 10, 5 - 9 + 10]
    expect(out[y].dims).toEqual([1, 1, 2, 2]);
    expect(values(out[y])).toEqual([9, 7, 3, 6]);
  });

  it('depthwise Conv (group = channels)', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 2, 1, 2]);
    const w = g.initializer('w', DataType.FLOAT, [2, 1, 1, 1], Float32Array.of(2, -1));
    const y = g.conv(x, w, undefined, { group: 2 });
    g.output(y, DataType.FLOAT);
    const out = await run(g.build(), { x: f32([1, 2, 3, 4], [1, 2, 1, 2]) });
    expect(values(out[y])).toEqual([2, 4, -3, -4]); // channel 0 times 2, channel 1 times -1
  });

  it('Gather on axis 0 and axis 1', async () => {
    const g = new GraphBuilder();
    const data = g.initializer('table', DataType.FLOAT, [4, 2], Float32Array.of(0, 1, 10, 11, 20, 21, 30, 31));
    const ids = g.input('ids', DataType.INT64, [3]);
    const rows = g.gather(data, ids);
    const col = g.gather(data, g.initializer('one', DataType.INT64, [1], BigInt64Array.of(1n)), 1);
    g.output(rows, DataType.FLOAT);
    g.output(col, DataType.FLOAT);
    const out = await run(g.build(), { ids: { type: 'int64', data: BigInt64Array.of(3n, 0n, 3n), dims: [3] } });
    expect(out[rows].dims).toEqual([3, 2]);
    expect(values(out[rows])).toEqual([30, 31, 0, 1, 30, 31]);
    expect(out[col].dims).toEqual([4, 1]);
    expect(values(out[col])).toEqual([1, 11, 21, 31]);
  });

  it('GlobalAveragePool, Flatten, Mul, Sub, Div, Identity, Reshape', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 2, 2, 2]);
    const two = g.initializer('two', DataType.FLOAT, [], Float32Array.of(2));
    const one = g.initializer('one', DataType.FLOAT, [], Float32Array.of(1));
    const four = g.initializer('four', DataType.FLOAT, [], Float32Array.of(4));
    const pooled = g.flatten(g.globalAveragePool(x));
    const y = g.reshape(g.identity(g.div(g.sub(g.mul(pooled, two), one), four)), [2, 1]);
    g.output(y, DataType.FLOAT);
    const out = await run(g.build(), { x: f32([1, 2, 3, 4, -4, 0, 0, 8], [1, 2, 2, 2]) });
    // means [2.5, 1] -> *2 [5, 2] -> -1 [4, 1] -> /4 [1, 0.25] -> shape [2, 1]
    expect(out[y].dims).toEqual([2, 1]);
    expect(values(out[y])).toEqual([1, 0.25]);
  });

  it('generic nodes with float, string, ints, floats and tensor attributes', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 3]);
    const pads = g.initializer('pads', DataType.INT64, [4], BigInt64Array.of(0n, 1n, 0n, 1n));
    const [padded] = g.node('Pad', [x, pads], { mode: 'reflect' });
    const [leaky] = g.node('LeakyRelu', [x], { alpha: attr.float(0.5) });
    const [floats] = g.node('Constant', [], { value_floats: [1.5, -2.25] });
    const [ints] = g.node('Constant', [], { value_ints: [7, -1] });
    const [tensor] = g.node(
      'Constant',
      [],
      { value: attr.tensor(DataType.FLOAT, [2, 1], Float32Array.of(3, 4)) },
      { name: 'const_t', outputs: ['t'] },
    );
    for (const o of [padded, leaky, floats, tensor]) g.output(o, DataType.FLOAT);
    g.output(ints, DataType.INT64);
    const out = await run(g.build(), { x: f32([1, -2, 3], [1, 3]) });
    expect(values(out[padded])).toEqual([-2, 1, -2, 3, -2]); // reflect: [x1, x0, x1, x2, x1]
    expect(values(out[leaky])).toEqual([1, -1, 3]);
    expect(values(out[floats])).toEqual([1.5, -2.25]);
    expect([...(out[ints].data as BigInt64Array)]).toEqual([7n, -1n]);
    expect(tensor).toBe('t');
    expect(out.t.dims).toEqual([2, 1]);
    expect(values(out.t)).toEqual([3, 4]);
  });
});

describe('GraphBuilder names and model', () => {
  it('generates unique node and output names, avoiding names given by hand', () => {
    const g = new GraphBuilder({ opset: 18 });
    const x = g.input('x', DataType.FLOAT, [1]);
    g.initializer('Relu_0_out', DataType.FLOAT, [1], Float32Array.of(0));
    const a = g.relu(x);
    const b = g.relu(a);
    expect([a, b]).toEqual(['Relu_0_out_1', 'Relu_1_out']);
    const model = g.build();
    expect(model.nodes.map((n) => n.name)).toEqual(['Relu_0', 'Relu_1']);
    expect(model.opset()).toBe(18);
    expect(model.proto.irVersion).toBe(8);
  });

  it('adds an opset import for a new domain, and several outputs on request', () => {
    const g = new GraphBuilder({ opsets: { 'com.example': 2 } });
    const x = g.input('x', DataType.FLOAT, [4]);
    const outs = g.node('Split2', [x], {}, { domain: 'com.acme', outputs: 2 });
    expect(outs).toEqual(['Split2_0_out0', 'Split2_0_out1']);
    const m = g.build();
    expect([m.opset('com.example'), m.opset('com.acme')]).toEqual([2, 1]);
    expect(m.nodes[0].domain).toBe('com.acme');
  });

  it('refuses unknown inputs and duplicate names', () => {
    const g = new GraphBuilder();
    g.input('x', DataType.FLOAT, [1]);
    expect(() => g.relu('y')).toThrow(/input y is not a tensor/);
    expect(() => g.input('x', DataType.FLOAT, [1])).toThrow(/"x" is already used/);
    expect(() => g.output('nope', DataType.FLOAT)).toThrow(/not a tensor/);
  });

  it('build() gives independent snapshots', () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1]);
    const first = g.build();
    g.relu(x);
    expect(first.nodes).toHaveLength(0);
    expect(g.build().nodes).toHaveLength(1);
  });
});
