/**
 * Structured channel pruning on GraphBuilder models: a skip Concat (as the UNet's), BatchNormalization,
 * a coupled skip Add, and a dependency mc cannot resolve. Parameter counts are worked out by hand;
 * the pruned model must run in a plain onnxruntime session and compute exactly what the original
 * computes once the consumers ignore the removed channels.
 */
import {
  DataType,
  ErrorCodes,
  type OnnxModel,
  createRunContext,
  OrtSessionFactory,
  parseParams,
  type HostTensor,
} from '@mc-kit/core';
import { attr, GraphBuilder } from '@mc-kit/core/testing';
import { PRUNE_PARAMS } from '../options.js';
import { PruneCompressor } from '../plugin.js';
import type { PruneTensorReport } from '../report.js';

const sessions = new OrtSessionFactory({ device: 'cpu' });
const ctx = () => createRunContext({ sessions, progressMode: 'silent' });
const params = (raw: Record<string, unknown>) =>
  parseParams(PRUNE_PARAMS, { algo: 'channel', 'min-size': '1', ...raw }, 'prune');

/** Filter o of a [M, C, k, k] weight filled with `norms[o]` / (C*k*k) so its L1 norm is norms[o]; small varied offsets keep values distinct. */
function filters(norms: number[], per: number): Float32Array {
  const w = new Float32Array(norms.length * per);
  norms.forEach((n, o) => {
    for (let i = 0; i < per; i++) w[o * per + i] = ((i % 2 ? -1 : 1) * n) / per;
  });
  return w;
}
const seq = (n: number, f = 0.1) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1) * f);

async function run(model: OnnxModel, x: Float32Array, dims: number[]): Promise<HostTensor> {
  const s = await sessions.create(model.toBytes());
  try {
    const out = await s.run({ x: { type: 'float32', dims, data: x } });
    return out[model.outputs[0].name ?? ''];
  } finally {
    await s.release();
  }
}

/** x[1,2,8,8] -> conv1(4) -> BN -> Relu = r1 -> conv2(4) -> Relu = r2; Concat(r2, r1) -> conv3 1x1 (3) = y */
function skipConcatNet(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 2, 8, 8]);
  const w1 = g.initializer('conv1.weight', DataType.FLOAT, [4, 2, 3, 3], filters([4, 1, 3, 0.5], 18));
  const b1 = g.initializer('conv1.bias', DataType.FLOAT, [4], new Float32Array([0.1, 0.2, 0.3, 0.4]));
  const c1 = g.conv(x, w1, b1, { pads: [1, 1, 1, 1], kernelShape: [3, 3] });
  const bn = g.node(
    'BatchNormalization',
    [
      c1,
      g.initializer('bn.scale', DataType.FLOAT, [4], new Float32Array([1, 2, 0.5, 1.5])),
      g.initializer('bn.bias', DataType.FLOAT, [4], new Float32Array([0.1, -0.1, 0.2, 0])),
      g.initializer('bn.mean', DataType.FLOAT, [4], new Float32Array([0, 0.1, 0.2, 0.3])),
      g.initializer('bn.var', DataType.FLOAT, [4], new Float32Array([1, 2, 3, 4])),
    ],
    { epsilon: attr.float(1e-5) },
  )[0];
  const r1 = g.relu(bn);
  const w2 = g.initializer('conv2.weight', DataType.FLOAT, [4, 4, 3, 3], filters([0.2, 5, 0.3, 6], 36));
  const b2 = g.initializer('conv2.bias', DataType.FLOAT, [4], new Float32Array([0, 0.1, 0, 0.1]));
  const r2 = g.relu(g.conv(r1, w2, b2, { pads: [1, 1, 1, 1], kernelShape: [3, 3] }));
  const cat = g.node('Concat', [r2, r1], { axis: attr.int(1) })[0];
  const w3 = g.initializer('conv3.weight', DataType.FLOAT, [3, 8, 1, 1], seq(24, 0.5));
  const b3 = g.initializer('conv3.bias', DataType.FLOAT, [3], new Float32Array([0.01, 0.02, 0.03]));
  g.output(g.conv(cat, w3, b3), DataType.FLOAT, [1, 3, 8, 8]);
  return g.build();
}

describe('channel pruning', () => {
  it('prunes through BatchNormalization, Relu and a skip Concat: shape kept, parameters as counted by hand, same function', async () => {
    const model = skipConcatNet();
    const x = seq(128, 1);
    // Reference: the original with the consumers' removed input channels zeroed (which is what removing them means).
    const ref = skipConcatNet();
    const zeroIn = (name: string, C: number, per: number, drop: number[]) => {
      const w = ref.getInitializer(name)!.readFloat32();
      for (let o = 0; o < w.length / (C * per); o++)
        for (const c of drop) w.fill(0, (o * C + c) * per, (o * C + c + 1) * per);
      ref.setInitializer(name, DataType.FLOAT, ref.getInitializer(name)!.dims, w);
    };
    zeroIn('conv2.weight', 4, 9, [1, 3]); // conv1 loses filters 1 and 3 (L1 1 and 0.5)
    zeroIn('conv3.weight', 8, 1, [0, 2, 4 + 1, 4 + 3]); // conv2 loses 0 and 2 (L1 0.2, 0.3); conv1's sit at offset 4
    const expected = await run(ref, x, [1, 2, 8, 8]);

    // 72 + 4 + 16 (BN) + 144 + 4 + 24 + 3 = 267 parameters
    expect(model.parameterCount()).toBe(267);
    const report = await new PruneCompressor().compress(model, params({ ratio: '0.5' }), ctx());
    // conv1 [2,2,3,3] 36 + 2, BN 8, conv2 [2,2,3,3] 36 + 2, conv3 keeps its 3 outputs (graph output) with 4 inputs: 12 + 3 -> 99
    expect(model.parameterCount()).toBe(99);
    expect(model.getInitializer('conv3.weight')!.dims).toEqual([3, 4, 1, 1]);
    expect(model.getInitializer('bn.var')!.readFloat32()).toEqual(new Float32Array([1, 3]));
    const conv3 = report.tensors.find((t) => t.name === 'conv3.weight') as PruneTensorReport;
    expect(conv3.action).toBe('channel-in');
    expect(conv3.paramsRemoved).toBe(12);
    expect(conv3.flopsRemoved).toBe(2 * 12 * 64); // 12 weights x 8x8 output pixels, 2 FLOPs per MAC
    expect(report.tensors.find((t) => t.action === 'skipped')?.reason).toMatch(/graph output/);

    const got = await run(model, x, [1, 2, 8, 8]);
    expect(got.dims).toEqual([1, 3, 8, 8]);
    (got.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo((expected.data as Float32Array)[i], 5));
  });

  it('couples the two Convs of a skip Add: the same channels go from both', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, [1, 2, 4, 4]);
    const a = g.conv(
      x,
      g.initializer('a.weight', DataType.FLOAT, [4, 2, 1, 1], filters([1, 0.1, 2, 3], 2)),
      g.initializer('a.bias', DataType.FLOAT, [4], seq(4)),
    );
    const b = g.conv(
      x,
      g.initializer('b.weight', DataType.FLOAT, [4, 2, 1, 1], filters([1, 3, 0.1, 2], 2)),
      g.initializer('b.bias', DataType.FLOAT, [4], seq(4)),
    );
    const s = g.relu(g.add(a, b));
    g.output(
      g.conv(
        s,
        g.initializer('c.weight', DataType.FLOAT, [2, 4, 1, 1], seq(8)),
        g.initializer('c.bias', DataType.FLOAT, [2], seq(2)),
      ),
      DataType.FLOAT,
      [1, 2, 4, 4],
    );
    const model = g.build();
    expect(model.parameterCount()).toBe(34);
    await new PruneCompressor().compress(model, params({ ratio: '0.5' }), ctx());
    // summed L1: [2, 3.1, 2.1, 5] -> channels 0 and 2 go from a and b; c keeps 2 outputs of 2 inputs
    expect(model.getInitializer('a.bias')!.readFloat32()).toEqual(seq(4).filter((_, i) => i === 1 || i === 3));
    expect(model.parameterCount()).toBe(18);
    expect((await run(model, seq(32, 1), [1, 2, 4, 4])).dims).toEqual([1, 2, 4, 4]);
  });

  it('prunes through Resize by scales and a depthwise Conv (slicing its weight and group)', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, [1, 2, 4, 4]);
    const a = g.relu(g.conv(x, g.initializer('a.weight', DataType.FLOAT, [4, 2, 1, 1], filters([1, 0.1, 2, 0.2], 2))));
    const roi = g.initializer('roi', DataType.FLOAT, [0], new Float32Array(0));
    const scales = g.initializer('scales', DataType.FLOAT, [4], new Float32Array([1, 1, 2, 2]));
    const up = g.node('Resize', [a, roi, scales], { mode: attr.string('nearest') })[0];
    const dw = g.conv(up, g.initializer('dw.weight', DataType.FLOAT, [4, 1, 3, 3], seq(36)), undefined, {
      group: 4,
      pads: [1, 1, 1, 1],
    });
    g.output(
      g.conv(dw, g.initializer('c.weight', DataType.FLOAT, [3, 4, 1, 1], seq(12))),
      DataType.FLOAT,
      [1, 3, 8, 8],
    );
    const model = g.build();
    await new PruneCompressor().compress(model, params({ ratio: '0.5' }), ctx());
    expect(model.getInitializer('dw.weight')!.dims).toEqual([2, 1, 3, 3]);
    expect(
      model.nodes
        .find((n) => n.opType === 'Conv' && n.attribute?.some((a) => a.name === 'group'))!
        .attribute!.find((a) => a.name === 'group')!.i,
    ).toBe(2);
    expect(model.getInitializer('c.weight')!.dims).toEqual([3, 2, 1, 1]);
    expect((await run(model, seq(32, 1), [1, 2, 4, 4])).dims).toEqual([1, 3, 8, 8]);
  });

  it('refuses a dependency it cannot resolve, naming the node, and leaves the model as it was', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, [1, 2, 4, 4]);
    const c = g.conv(x, g.initializer('a.weight', DataType.FLOAT, [4, 2, 1, 1], seq(8)));
    const t = g.node('Transpose', [c], { perm: attr.ints([0, 2, 3, 1]) }, { name: 'to_nhwc' })[0];
    g.output(t, DataType.FLOAT);
    const model = g.build();
    const before = model.toBytes();
    await expect(new PruneCompressor().compress(model, params({ ratio: '0.5' }), ctx())).rejects.toMatchObject({
      code: ErrorCodes.UNSUPPORTED,
      message: expect.stringMatching(/Transpose node to_nhwc/),
    });
    expect(model.toBytes()).toEqual(before);
  });

  it('refuses a model without Conv, and a ratio that would remove every channel', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 2]);
    g.output(g.matMul(x, g.initializer('w', DataType.FLOAT, [2, 2], seq(4))), DataType.FLOAT);
    await expect(new PruneCompressor().compress(g.build(), params({}), ctx())).rejects.toMatchObject({
      code: ErrorCodes.NOTHING_TO_COMPRESS,
      message: expect.stringMatching(/no Conv/),
    });
    expect(() => params({ ratio: '1' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_PARAM, message: expect.stringMatching(/every output channel/) }),
    ); // with the flags, before any work
  });

  it('says why no Conv can lose channels: grouped ones, and weights computed at run time (after int8), not "grouped weights" for all', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, [1, 4, 4, 4]);
    // a plain Conv whose weight a DequantizeLinear computes (what int8 leaves), and a depthwise one
    const [w] = g.node('DequantizeLinear', [
      g.initializer('a_q', DataType.INT8, [4, 4, 1, 1], new Int8Array(16).fill(3)),
      g.initializer('a_scale', DataType.FLOAT, [], Float32Array.of(0.1)),
    ]);
    const dw = g.conv(g.conv(x, w), g.initializer('dw.weight', DataType.FLOAT, [4, 1, 3, 3], seq(36)), undefined, {
      group: 4,
      pads: [1, 1, 1, 1],
    });
    g.output(dw, DataType.FLOAT);
    await expect(new PruneCompressor().compress(g.build(), params({ ratio: '0.5' }), ctx())).rejects.toMatchObject({
      code: ErrorCodes.NOTHING_TO_COMPRESS,
      hint: '1 Conv: weight computed at run time, not stored in the model; 1 Conv: grouped or depthwise (group > 1): mc prunes the Conv before them, not their own channels',
    });
  });

  it('a model whose Convs all sit in an If branch: says so, and points at --algo magnitude', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, [1, 2, 4, 4]);
    const branch = (name: string) => {
      const b = new GraphBuilder({ opset: 17, outerScope: [x] });
      b.output(
        b.node(
          'Conv',
          [x, b.initializer(`${name}.weight`, DataType.FLOAT, [2, 2, 1, 1], seq(4))],
          {},
          { name: `${name}_conv`, outputs: [`${name}_y`] },
        )[0],
        DataType.FLOAT,
      );
      return attr.graph(b);
    };
    g.output(
      g.node('If', [g.initializer('c', DataType.BOOL, [], Uint8Array.of(1))], {
        then_branch: branch('t'),
        else_branch: branch('e'),
      })[0],
      DataType.FLOAT,
    );
    await expect(new PruneCompressor().compress(g.build(), params({}), ctx())).rejects.toMatchObject({
      code: ErrorCodes.NOTHING_TO_COMPRESS,
      message:
        '--algo channel: every Conv of the model is inside an If/Loop/Scan body, which channel pruning does not follow',
      hint: 'use --algo magnitude, which prunes weights wherever they are',
    });
  });
});
