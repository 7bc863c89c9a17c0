/**
 * One test per adapter: a tiny model at the opset before the crossing, moved past it, then
 * (1) the node has the new form (attribute now an input, new attributes written out), and
 * (2) onnxruntime gives the same outputs before and after on seeded probes (verifyUpgrade, 1e-5
 * relative). Every model is built so that skipping or botching its adapter changes the outputs
 * or makes the model invalid at the new opset (axis 1 of a rank-3 Softmax, downsampling Resize, a
 * Clip with both bounds active, non-zero pads, ...).
 */
import { createRunContext } from '../../context.js';
import { DataType } from '../dtypes.js';
import { OnnxModel } from '../model.js';
import { OrtSessionFactory } from '../../session/factory.js';
import { attr, GraphBuilder, type AttrValue } from '../../testing/graph-builder.js';
import { upgradeOpset, type UpgradeReport } from './upgrade.js';
import { verifyUpgrade, type Verification } from './verify.js';

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent', seed: 7 });
const F = DataType.FLOAT;

interface OneOp {
  opset: number;
  op: string;
  /** input shape (of x) */
  shape: (number | string)[];
  /** extra inputs after x: initializers (name -> [type, dims, data]) */
  extra?: [DataType, number[], ArrayBufferView][];
  attrs?: Record<string, AttrValue>;
  /** output element types (default one float output) */
  outputs?: DataType[];
}

/** x -> op(x, extra...) -> every output is a graph output. */
function oneOp(o: OneOp): OnnxModel {
  const g = new GraphBuilder({ opset: o.opset, irVersion: 6 });
  const x = g.input('x', F, o.shape);
  const extra = (o.extra ?? []).map(([type, dims, data], i) => g.initializer(`c${i}`, type, dims, data));
  const types = o.outputs ?? [F];
  const outs = g.node(o.op, [x, ...extra], o.attrs ?? {}, { outputs: types.length, name: 'n0' });
  outs.forEach((out, i) => g.output(out, types[i]));
  return g.build();
}

async function moved(
  model: OnnxModel,
  to: number,
): Promise<{ model: OnnxModel; report: UpgradeReport; verification: Verification }> {
  const before = model.toBytes();
  const report = upgradeOpset(model, to);
  const verification = await verifyUpgrade(OnnxModel.fromBytes(before), before, model.toBytes(), report, ctx);
  return { model, report, verification };
}

const node0 = (m: OnnxModel) => m.nodes.find((n) => n.name === 'n0')!;
const attrNames = (m: OnnxModel) => (node0(m).attribute ?? []).map((a) => a.name).sort();
const int64Values = (m: OnnxModel, name: string) =>
  Array.from(m.getInitializer(name)!.readTyped() as BigInt64Array, Number);
const str = (m: OnnxModel, name: string) =>
  new TextDecoder().decode(node0(m).attribute!.find((a) => a.name === name)!.s!);

describe('Softmax, LogSoftmax, Hardmax at 13: coerced 2-D axis', () => {
  it.each(['Softmax', 'LogSoftmax', 'Hardmax'])(
    '%s axis=1 on a rank-3 input: Flatten, op over the last axis, Reshape',
    async (op) => {
      const { model, report } = await moved(oneOp({ opset: 12, op, shape: [2, 3, 4], attrs: { axis: 1 } }), 13);
      expect(model.nodes.map((n) => n.opType)).toEqual(['Shape', 'Flatten', op, 'Reshape']);
      expect(node0(model).attribute?.find((a) => a.name === 'axis')?.i).toBe(-1);
      expect(report.adapted).toEqual([{ op, opset: 13, nodes: 1 }]);
    },
  );

  it('the default axis (1) on a rank-3 input too', async () => {
    const { model } = await moved(oneOp({ opset: 11, op: 'Softmax', shape: [2, 3, 4] }), 21);
    expect(model.nodes.map((n) => n.opType)).toEqual(['Shape', 'Flatten', 'Softmax', 'Reshape']);
  });

  it('the last axis keeps its meaning: only axis=-1 is written (the default changed to -1)', async () => {
    const { model } = await moved(oneOp({ opset: 11, op: 'Softmax', shape: [2, 5] }), 13);
    expect(model.nodes.map((n) => n.opType)).toEqual(['Softmax']);
    expect(node0(model).attribute?.find((a) => a.name === 'axis')?.i).toBe(-1);
  });
});

describe('attributes that became inputs', () => {
  it('Squeeze and Unsqueeze axes (13)', async () => {
    const sq = await moved(oneOp({ opset: 11, op: 'Squeeze', shape: [2, 1, 3, 1], attrs: { axes: [1] } }), 13);
    expect(attrNames(sq.model)).toEqual([]);
    expect(int64Values(sq.model, node0(sq.model).input![1])).toEqual([1]);
    const un = await moved(oneOp({ opset: 9, op: 'Unsqueeze', shape: [2, 3], attrs: { axes: [0, 3] } }), 21);
    expect(int64Values(un.model, node0(un.model).input![1])).toEqual([0, 3]);
  });

  it('ReduceSum axes (13) and ReduceMean axes (18), keepdims kept', async () => {
    const sum = await moved(
      oneOp({ opset: 11, op: 'ReduceSum', shape: [2, 3, 4], attrs: { axes: [2], keepdims: 0 } }),
      13,
    );
    expect(attrNames(sum.model)).toEqual(['keepdims']);
    expect(int64Values(sum.model, node0(sum.model).input![1])).toEqual([2]);
    const mean = await moved(oneOp({ opset: 13, op: 'ReduceMean', shape: [2, 3, 4], attrs: { axes: [1, 2] } }), 18);
    expect(int64Values(mean.model, node0(mean.model).input![1])).toEqual([1, 2]);
  });

  it('Split: split becomes an input (13); without it, num_outputs is written (18)', async () => {
    const uneven = await moved(
      oneOp({ opset: 11, op: 'Split', shape: [2, 6], attrs: { axis: 1, split: [1, 5] }, outputs: [F, F] }),
      21,
    );
    expect(int64Values(uneven.model, node0(uneven.model).input![1])).toEqual([1, 5]);
    const even = await moved(
      oneOp({ opset: 11, op: 'Split', shape: [2, 6], attrs: { axis: 1 }, outputs: [F, F, F] }),
      18,
    );
    expect(node0(even.model).attribute?.find((a) => a.name === 'num_outputs')?.i).toBe(3);
  });

  it('Slice starts/ends/axes (10), with an INT64_MAX end', async () => {
    const model = oneOp({
      opset: 9,
      op: 'Slice',
      shape: [4, 6],
      attrs: { starts: [1, -4], ends: [3, 9], axes: [0, 1] },
    });
    // exporters write "to the end" as INT64_MAX, which no double holds: set it as protobuf's Long bits
    node0(model).attribute!.find((a) => a.name === 'ends')!.ints = [
      3,
      { low: -1, high: 0x7fffffff, unsigned: false } as never,
    ];
    const { model: after } = await moved(OnnxModel.fromBytes(model.toBytes()), 10);
    const [, starts, ends, axes] = node0(after).input!;
    expect([int64Values(after, starts), int64Values(after, axes)]).toEqual([
      [1, -4],
      [0, 1],
    ]);
    expect(Array.from(after.getInitializer(ends)!.readTyped() as BigInt64Array)).toEqual([3n, 9223372036854775807n]);
  });

  it('TopK k (10)', async () => {
    const { model } = await moved(
      oneOp({ opset: 9, op: 'TopK', shape: [2, 7], attrs: { k: 3, axis: 1 }, outputs: [F, DataType.INT64] }),
      11,
    );
    expect(int64Values(model, node0(model).input![1])).toEqual([3]);
  });
});

describe('Clip and Pad at 11', () => {
  it('Clip min/max become inputs of the data type (both bounds active on the probes)', async () => {
    const { model } = await moved(
      oneOp({ opset: 10, op: 'Clip', shape: [3, 8], attrs: { min: attr.float(-0.25), max: attr.float(0.5) } }),
      11,
    );
    const [, lo, hi] = node0(model).input!;
    expect([model.getInitializer(lo)!.readFloat32()[0], model.getInitializer(hi)!.readFloat32()[0]]).toEqual([
      -0.25, 0.5,
    ]);
  });

  it('Clip with only max: min stays empty', async () => {
    const { model } = await moved(oneOp({ opset: 9, op: 'Clip', shape: [3, 8], attrs: { max: attr.float(0.1) } }), 13);
    expect(node0(model).input![1]).toBe('');
  });

  it('Clip on float16 data: the bounds are float16', async () => {
    const g = new GraphBuilder({ opset: 10, irVersion: 5 });
    const x = g.input('x', DataType.FLOAT16, [4]);
    g.output(g.node('Clip', [x], { min: attr.float(-0.5), max: attr.float(0.5) }, { name: 'n0' })[0], DataType.FLOAT16);
    const { model } = await moved(g.build(), 11);
    expect(model.getInitializer(node0(model).input![1])!.dataType).toBe(DataType.FLOAT16);
  });

  it('Pad pads and a non-zero value', async () => {
    const { model } = await moved(
      oneOp({ opset: 10, op: 'Pad', shape: [2, 3], attrs: { pads: [0, 1, 1, 2], value: attr.float(1.5) } }),
      11,
    );
    const [, pads, value] = node0(model).input!;
    expect(int64Values(model, pads)).toEqual([0, 1, 1, 2]);
    expect(model.getInitializer(value)!.readFloat32()[0]).toBe(1.5);
  });

  it('Pad reflect: no value input', async () => {
    const { model } = await moved(
      oneOp({ opset: 9, op: 'Pad', shape: [1, 1, 4, 4], attrs: { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'reflect' } }),
      21,
    );
    expect(node0(model).input).toHaveLength(2);
  });
});

describe('Upsample and Resize', () => {
  const scales = (s: number[]) => [F, [s.length], Float32Array.from(s)] as [DataType, number[], ArrayBufferView];

  it.each(['nearest', 'linear'])('Upsample (9) %s becomes Resize with asymmetric coordinates at 21', async (mode) => {
    const { model } = await moved(
      oneOp({ opset: 9, op: 'Upsample', shape: [1, 2, 3, 4], extra: [scales([1, 1, 2.5, 1.5])], attrs: { mode } }),
      21,
    );
    expect(node0(model).opType).toBe('Resize');
    expect(str(model, 'coordinate_transformation_mode')).toBe('asymmetric');
    if (mode === 'nearest') expect(str(model, 'nearest_mode')).toBe('floor');
  });

  it('Resize-10 nearest downsampling rounds up (nearest_mode ceil)', async () => {
    const { model } = await moved(
      oneOp({ opset: 10, op: 'Resize', shape: [1, 1, 9, 9], extra: [scales([1, 1, 0.6, 0.6])] }),
      11,
    );
    expect(str(model, 'nearest_mode')).toBe('ceil');
  });

  it('Resize-10 nearest upsampling by 1.75 to opset 13 and 19 (half_pixel would move output pixel 5)', async () => {
    for (const to of [13, 19]) {
      const { model } = await moved(
        oneOp({ opset: 10, op: 'Resize', shape: [1, 1, 4, 4], extra: [scales([1, 1, 1.75, 1.75])] }),
        to,
      );
      expect(str(model, 'nearest_mode')).toBe('floor');
    }
  });

  it('refuses a Resize-10 that samples one axis up and another down', async () => {
    expect(() =>
      upgradeOpset(oneOp({ opset: 10, op: 'Resize', shape: [1, 1, 4, 4], extra: [scales([1, 1, 2, 0.5])] }), 11),
    ).toThrow(/Resize \(node n0\) cannot be moved from opset 10 to opset 11: it samples some axes up/);
  });

  it('tf_half_pixel_for_nn (gone at 18) becomes half_pixel with the nearest rounding shifted', async () => {
    const roi = [F, [0], new Float32Array(0)] as [DataType, number[], ArrayBufferView];
    const m = oneOp({
      opset: 13,
      op: 'Resize',
      shape: [1, 1, 5, 5],
      extra: [roi, scales([1, 1, 1.6, 1.6])],
      attrs: { coordinate_transformation_mode: 'tf_half_pixel_for_nn', nearest_mode: 'floor' },
    });
    const { model } = await moved(m, 19);
    expect([str(model, 'coordinate_transformation_mode'), str(model, 'nearest_mode')]).toEqual([
      'half_pixel',
      'round_prefer_ceil',
    ]);
  });
});

describe('training outputs and renamed ops', () => {
  const batchNorm = (outputs: number, read: number[]) => {
    const g = new GraphBuilder({ opset: 9, irVersion: 4 });
    const x = g.input('x', F, [2, 3, 4, 4]);
    const p = (name: string, v: number[]) => g.initializer(name, F, [3], Float32Array.from(v));
    const outs = g.node(
      'BatchNormalization',
      [x, p('s', [1, 2, 0.5]), p('b', [0, 1, -1]), p('m', [0.1, 0.2, 0.3]), p('v', [1, 4, 0.25])],
      { epsilon: attr.float(1e-3) },
      { outputs, name: 'n0' },
    );
    for (const i of read) g.output(outs[i], F);
    return g.build();
  };

  it('BatchNormalization (9) with one output (inference) to 15: unchanged', async () => {
    const { model, report } = await moved(batchNorm(1, [0]), 15);
    expect([node0(model).output, report.adapted]).toEqual([['n0_out'], []]);
  });

  it('BatchNormalization (9) with five outputs is in training mode: training_mode=1 at 14, saved statistics dropped', () => {
    const model = batchNorm(5, [0, 1]);
    upgradeOpset(model, 14);
    expect(node0(model).output).toEqual(['n0_out0', 'n0_out1', 'n0_out2']);
    expect(node0(model).attribute?.find((a) => a.name === 'training_mode')?.i).toBe(1);
  });

  it('refuses a BatchNormalization whose saved mean is read', () => {
    expect(() => upgradeOpset(batchNorm(5, [0, 3]), 14)).toThrow(
      /BatchNormalization \(node n0\) cannot be moved from opset 9 to opset 14: n0_out3 is read, and BatchNormalization-14 has no saved mean/,
    );
  });

  it('Dropout (9) to 12: unread mask dropped, ratio an input', async () => {
    const { model } = await moved(
      oneOp({ opset: 9, op: 'Dropout', shape: [2, 3], attrs: { ratio: attr.float(0.3) } }),
      12,
    );
    expect(model.getInitializer(node0(model).input![1])!.readFloat32()[0]).toBeCloseTo(0.3, 6);
  });

  it('Scatter (9) becomes ScatterElements at 11', async () => {
    const g = new GraphBuilder({ opset: 9, irVersion: 4 });
    const x = g.input('x', F, [3, 3]);
    const idx = g.initializer('i', DataType.INT64, [1, 2], BigInt64Array.of(2n, 0n));
    const upd = g.initializer('u', F, [1, 2], Float32Array.of(5, 6));
    g.output(g.node('Scatter', [x, idx, upd], { axis: 1 }, { name: 'n0' })[0], F);
    const { model } = await moved(g.build(), 11);
    expect(node0(model).opType).toBe('ScatterElements');
  });
});

describe('attributes whose default or spelling changed', () => {
  it('GridSample bilinear (16) is linear at 20', async () => {
    const g = new GraphBuilder({ opset: 16, irVersion: 8 });
    const x = g.input('x', F, [1, 2, 4, 5]);
    const grid = g.initializer(
      'grid',
      F,
      [1, 3, 3, 2],
      Float32Array.from({ length: 18 }, (_, i) => Math.sin(i) * 0.9),
    );
    g.output(g.node('GridSample', [x, grid], { mode: 'bilinear', align_corners: 1 }, { name: 'n0' })[0], F);
    const { model } = await moved(g.build(), 20);
    expect(str(model, 'mode')).toBe('linear');
  });

  it('RoiAlign (10) keeps output_half_pixel coordinates at 16 (the new default is half_pixel)', async () => {
    const g = new GraphBuilder({ opset: 10, irVersion: 5 });
    const x = g.input('x', F, [1, 2, 8, 8]);
    const rois = g.initializer('rois', F, [2, 4], Float32Array.of(0.5, 1.5, 5.2, 6.7, 1, 0.2, 3.3, 7.9));
    const idx = g.initializer('idx', DataType.INT64, [2], BigInt64Array.of(0n, 0n));
    g.output(
      g.node('RoiAlign', [x, rois, idx], { output_height: 3, output_width: 3, sampling_ratio: 2 }, { name: 'n0' })[0],
      F,
    );
    const { model } = await moved(g.build(), 16);
    expect(str(model, 'coordinate_transformation_mode')).toBe('output_half_pixel');
  });

  it('refuses GroupNormalization across 21 (scale and bias per group became per channel), before any work', () => {
    const g = new GraphBuilder({ opset: 18 });
    const x = g.input('x', F, [1, 4, 2, 2]);
    const p = (n: string) => g.initializer(n, F, [2], Float32Array.of(1, 1));
    g.output(g.node('GroupNormalization', [x, p('s'), p('b')], { num_groups: 2 })[0], F);
    expect(() => upgradeOpset(g.build(), 21)).toThrow(
      /GroupNormalization \(its meaning changed at opset 21 and mc has no adapter for that\)/,
    );
  });
});

describe('what the upgrade refuses, and what it leaves alone', () => {
  it('names an op it does not know, and the opsets', () => {
    const g = new GraphBuilder({ opset: 11 });
    const x = g.input('x', F, [2]);
    g.output(g.node('FancyActivation', [x])[0], F);
    expect(() => upgradeOpset(g.build(), 21)).toThrow(
      /cannot move the model from opset 11 to opset 21: FancyActivation \(not an operator of the default ONNX domain that mc knows\)/,
    );
  });

  it('leaves other domains alone and raises the IR version with the opset', () => {
    const g = new GraphBuilder({ opset: 11, irVersion: 6, opsets: { 'com.microsoft': 1 } });
    const x = g.input('x', F, [2, 4]);
    g.output(g.node('Gelu', [x], {}, { domain: 'com.microsoft' })[0], F);
    const model = g.build();
    const report = upgradeOpset(model, 21);
    expect([model.opset(''), model.opset('com.microsoft'), Number(model.proto.irVersion)]).toEqual([21, 1, 10]);
    expect([report.irFrom, report.irTo, report.adapted]).toEqual([6, 10, []]);
  });

  it('adapts nodes inside If branches (their constants live at the top)', async () => {
    const g = new GraphBuilder({ opset: 11, irVersion: 6 });
    const x = g.input('x', F, [2, 3, 4]);
    g.initializer('cond', DataType.BOOL, [], Uint8Array.of(1));
    g.output(g.identity(x), F); // the If is added below: the builder has no graph attributes
    const model = g.build();
    const branch = (name: string, node: object, out: string) => ({
      name,
      node: [node],
      output: [{ name: out, type: { tensorType: { elemType: F } } }],
    });
    const thenG = branch(
      'then',
      {
        opType: 'Softmax',
        domain: '',
        name: 'sm_then',
        input: ['x'],
        output: ['t_out'],
        attribute: [{ name: 'axis', type: 2, i: 1 }],
      },
      't_out',
    );
    const elseG = branch(
      'else',
      {
        opType: 'ReduceSum',
        domain: '',
        name: 'rs_else',
        input: ['x'],
        output: ['e_out'],
        attribute: [{ name: 'axes', type: 7, ints: [2] }],
      },
      'e_out',
    );
    model.nodes.push({
      opType: 'If',
      domain: '',
      name: 'n0',
      input: ['cond'],
      output: ['y'],
      attribute: [
        { name: 'then_branch', type: 5, g: thenG },
        { name: 'else_branch', type: 5, g: elseG },
      ],
    });
    model.outputs.push({ name: 'y', type: { tensorType: { elemType: F } } });
    const { report } = await moved(OnnxModel.fromBytes(model.toBytes()), 13);
    expect(report.adapted.map((a) => `${a.op}@${a.opset}`).sort()).toEqual(['ReduceSum@13', 'Softmax@13']);
  });
});
