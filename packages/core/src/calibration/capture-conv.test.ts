/**
 * Conv and Gemm statistics computed inside onnxruntime, hand-checked against patches unfolded
 * explicitly here (plain loops over the ONNX Conv definition: output size
 * floor((H + pad_begin + pad_end - d·(k-1) - 1) / s) + 1, input row oh·s - pad_begin + ki·d).
 */
import { createRunContext } from '../context.js';
import { DataType } from '../onnx/dtypes.js';
import { OrtSessionFactory } from '../session/factory.js';
import { GraphBuilder, attr } from '../testing/graph-builder.js';
import { captureActivations, statsKey, statsOf } from './capture.js';
import { planStages } from './stages.js';
import { findWeightTargets, unsupportedWeightReaders } from './targets.js';
import type { CalibrationSet, ConvPatches } from './types.js';
import { expectClose, naive } from './stats.fixture.js';

const sessions = new OrtSessionFactory({ device: 'cpu' });
const ctx = createRunContext({ sessions, progressMode: 'silent' });

/** Deterministic values on a 1/8 grid (exact in float32, so sums are exact up to rounding of products). */
function lcg(count: number, seed: number, lo = -2, hi = 2): Float32Array {
  let s = seed;
  return Float32Array.from({ length: count }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.round((lo + (s / 2 ** 31) * (hi - lo)) * 8) / 8;
  });
}

const N = 2;
const [C, H, W] = [2, 5, 6];
const CONV1: ConvPatches = {
  channels: 2,
  group: 1,
  kernel: [3, 3],
  strides: [2, 2],
  pads: [1, 0, 0, 1],
  dilations: [1, 1],
};
const CONV2: ConvPatches = {
  channels: 4,
  group: 2,
  kernel: [2, 2],
  strides: [1, 1],
  pads: [0, 1, 1, 0],
  dilations: [1, 2],
};

/** x [N, 2, 5, 6] -> Conv (4 out, 3x3, stride 2, asymmetric pads) -> Relu = h -> Conv (group 2, 2x2, dilation [1, 2]) -> y; h is an output too. */
function convNet(opset?: number) {
  const g = new GraphBuilder(opset === undefined ? {} : { opset });
  const x = g.input('x', DataType.FLOAT, ['N', C, H, W]);
  const w1 = g.initializer('W1', DataType.FLOAT, [4, 2, 3, 3], lcg(72, 7));
  const w2 = g.initializer('W2', DataType.FLOAT, [6, 2, 2, 2], lcg(48, 11));
  const h = g.relu(g.conv(x, w1, undefined, { strides: CONV1.strides, pads: CONV1.pads }));
  const y = g.conv(h, w2, undefined, {
    strides: CONV2.strides,
    pads: CONV2.pads,
    dilations: CONV2.dilations,
    group: 2,
  });
  g.output(y, DataType.FLOAT);
  g.output(h, DataType.FLOAT);
  return { model: g.build(), h, y };
}

/** im2col rows of one group: every output position of every sample, features (channel in group, ki, kj). */
function unfold(x: Float32Array, dims: readonly number[], p: ConvPatches, group: number): number[][] {
  const [n, c, h, w] = dims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl, pb, pr] = p.pads;
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const cg = p.channels / p.group;
  const rows: number[][] = [];
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        const row: number[] = [];
        for (let ci = 0; ci < cg; ci++)
          for (let a = 0; a < kh; a++)
            for (let e = 0; e < kw; e++) {
              const r = i * sh - pt + a * dh;
              const q = j * sw - pl + e * dw;
              row.push(r < 0 || r >= h || q < 0 || q >= w ? 0 : x[((b * c + group * cg + ci) * h + r) * w + q]);
            }
        rows.push(row);
      }
  return rows;
}

const inputs = [lcg(N * C * H * W, 3), lcg(N * C * H * W, 5)];
const setOf = (xs: Float32Array[]): CalibrationSet => ({
  info: { dataset: 'test', samples: xs.length * N },
  samples: xs.map((x) => ({ kind: 'feeds', feeds: { x: { type: 'float32', data: x, dims: [N, C, H, W] } } })),
});

describe('Conv targets', () => {
  it('finds every Conv weight with its patch geometry and Cin/group·kh·kw features, in stages', () => {
    const { model } = convNet();
    const targets = findWeightTargets(model);
    expect(targets.map((t) => [t.weight, t.features, t.conv])).toEqual([
      ['W1', 18, CONV1],
      ['W2', 8, CONV2],
    ]);
    expect(planStages(model, targets).map((s) => s.map((t) => t.weight))).toEqual([['W1'], ['W2']]);
  });

  it('captures X^T X and Σ x^2 over im2col patches (stride, asymmetric padding, dilation, group 2) equal to patches unfolded by hand', async () => {
    const { model, h } = convNet();
    const targets = findWeightTargets(model);
    const stats = await captureActivations(model, targets, setOf(inputs), ctx);
    // the second layer's input, as the dense model computes it
    const session = await sessions.create(model.toBytes());
    const hs = await Promise.all(
      inputs.map(async (x) => (await session.run({ x: { type: 'float32', data: x, dims: [N, C, H, W] } }, [h]))[h]),
    );
    await session.release();

    const [s1] = statsOf(stats, targets[0]);
    const rows1 = inputs.flatMap((x) => unfold(x, [N, C, H, W], CONV1, 0));
    expect(rows1.length).toBe(2 * N * 2 * 3); // output 2 x 3 per image
    expect(s1.rows).toBe(rows1.length);
    expectClose(s1.xtx!, naive(rows1).xtx);
    expectClose(s1.sumSquares, naive(rows1).ss);

    const groups = statsOf(stats, targets[1]);
    expect(groups).toHaveLength(2);
    for (const [g, s] of groups.entries()) {
      const rows = hs.flatMap((t) => unfold(t.data as Float32Array, t.dims, CONV2, g));
      expect(rows.length).toBe(2 * N * 2 * 2); // h is 2 x 3; pads [0,1,1,0] and dilation [1,2] give 2 x 2
      expect(s.rows).toBe(rows.length);
      expectClose(s.xtx!, naive(rows).xtx);
      expectClose(s.sumSquares, naive(rows).ss);
    }
    expect(groups[0].xtx).not.toEqual(groups[1].xtx); // each group its own channels
  });

  it.each([11, 17])(
    'with hessian: false brings back Σ x^2 per group only at opset %i (the axes of ReduceSum: an attribute before 13, an input from 13)',
    async (opset) => {
      const { model, h } = convNet(opset);
      const target = findWeightTargets(model, ['W2'])[0];
      const stats = await captureActivations(model, [target], setOf(inputs), ctx, { hessian: false });
      const session = await sessions.create(model.toBytes());
      const hs = await Promise.all(
        inputs.map(async (x) => (await session.run({ x: { type: 'float32', data: x, dims: [N, C, H, W] } }, [h]))[h]),
      );
      await session.release();
      for (const [g, s] of statsOf(stats, target).entries()) {
        const rows = hs.flatMap((t) => unfold(t.data as Float32Array, t.dims, CONV2, g));
        expect(s.xtx).toBeUndefined();
        expect(s.rows).toBe(rows.length);
        expectClose(s.sumSquares, naive(rows).ss);
      }
    },
  );

  it('follows auto_pad SAME_UPPER (the extra padding at the end), as the Conv itself does', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, ['N', C, H, W]);
    const y = g.node('Conv', [x, g.initializer('Wa', DataType.FLOAT, [3, 2, 2, 2], lcg(24, 13))], {
      auto_pad: attr.string('SAME_UPPER'),
      strides: attr.ints([2, 2]),
    })[0];
    g.output(y, DataType.FLOAT);
    const model = g.build();
    const [t] = findWeightTargets(model);
    expect(t.conv).toMatchObject({ autoPad: 'SAME_UPPER', kernel: [2, 2], strides: [2, 2] });
    const [s] = statsOf(await captureActivations(model, [t], setOf(inputs), ctx), t);
    // out = ceil(5/2) x ceil(6/2) = 3 x 3; total pad H: (3-1)*2 + 2 - 5 = 1 -> [0 begin, 1 end]; W: (3-1)*2 + 2 - 6 = 0
    const rows = inputs.flatMap((xs) =>
      unfold(xs, [N, C, H, W], { ...CONV1, kernel: [2, 2], strides: [2, 2], pads: [0, 0, 1, 0] }, 0),
    );
    expect(rows.length).toBe(2 * N * 3 * 3);
    expect(s.rows).toBe(rows.length);
    expectClose(s.xtx!, naive(rows).xtx);
  });

  it('keys two Convs of different geometry on one tensor apart, and MatMul targets by tensor as before', () => {
    const { model } = convNet();
    const [t1] = findWeightTargets(model);
    expect(statsKey({ weight: 'M', tensor: 'x', features: 4 })).toBe('x');
    expect(statsKey(t1)).not.toBe(statsKey({ ...t1, conv: { ...CONV1, strides: [1, 1] } }));
    expect(statsKey(t1, 0)).not.toBe(statsKey(t1, 1));
  });
});

describe('Gemm targets', () => {
  it('takes rows of input 0 with K from the weight as transB says, and skips transA', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, ['B', 3]);
    const a = g.gemm(x, g.initializer('Wt', DataType.FLOAT, [2, 3], lcg(6, 1)), undefined, { transB: true }); // [B, 2]
    const b = g.gemm(a, g.initializer('Wn', DataType.FLOAT, [2, 4], lcg(8, 2))); // [B, 4]
    g.output(
      g.gemm(b, g.initializer('Wa', DataType.FLOAT, [3, 4], lcg(12, 4)), undefined, { transA: true }),
      DataType.FLOAT,
    );
    const model = g.build();
    const targets = findWeightTargets(model);
    expect(targets.map((t) => [t.weight, t.features, t.tensor === x])).toEqual([
      ['Wt', 3, true],
      ['Wn', 2, false],
    ]);
    const xs = lcg(5 * 3, 9);
    const stats = await captureActivations(
      model,
      targets.slice(0, 1),
      {
        info: { dataset: 't', samples: 1 },
        samples: [{ kind: 'feeds', feeds: { x: { type: 'float32', data: xs, dims: [5, 3] } } }],
      },
      ctx,
    );
    const rows = Array.from({ length: 5 }, (_, r) => Array.from(xs.subarray(r * 3, r * 3 + 3)));
    expectClose(statsOf(stats, targets[0])[0].xtx!, naive(rows).xtx);
  });
});

describe('ConvTranspose', () => {
  it('is no capture target, and its weight is named with the node that reads it', () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 2, 4, 4]);
    const y = g.node(
      'ConvTranspose',
      [x, g.initializer('Wt', DataType.FLOAT, [2, 3, 2, 2], lcg(24, 3))],
      { strides: attr.ints([2, 2]) },
      { name: 'up1' },
    )[0];
    g.output(y, DataType.FLOAT);
    const model = g.build();
    expect(findWeightTargets(model)).toEqual([]);
    const why = unsupportedWeightReaders(model).get('Wt');
    expect(why?.node).toBe('up1');
    expect(why?.reason).toMatch(/ConvTranspose up1/);
  });
});
