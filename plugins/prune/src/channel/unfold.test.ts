/** im2col against a hand-worked case and against onnxruntime's own Conv (the feature order W is viewed in). */
import { DataType, OrtSessionFactory } from '@mc-kit/core';
import { attr, GraphBuilder } from '@mc-kit/core/testing';
import { unfold, type ConvGeometry } from './unfold.js';

describe('unfold', () => {
  it('takes 2x2 patches of a 3x3 image with padding 1 on the left and top, stride 2', () => {
    // x = 1 2 3 / 4 5 6 / 7 8 9; padded top-left: output 2x2 at (0,0), (0,2) ... of the padded image
    const u = unfold([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3], {
      kernel: [2, 2],
      pads: [1, 1, 0, 0],
      strides: [2, 2],
      dilations: [1, 1],
    });
    expect(u.rows).toBe(4);
    expect([...u.data]).toEqual([0, 0, 0, 1, 0, 0, 2, 3, 0, 4, 0, 7, 5, 6, 8, 9]);
  });

  it("gives onnxruntime Conv's output as patches x W^T + b (3x3, pads, stride 2, dilation 2)", async () => {
    const geom: ConvGeometry = { kernel: [3, 3], pads: [1, 2, 2, 1], strides: [2, 1], dilations: [2, 1] };
    const [N, C, H, W, O] = [2, 3, 7, 6, 4];
    const x = Float32Array.from({ length: N * C * H * W }, (_, i) => Math.sin(i * 0.7));
    const w = Float32Array.from({ length: O * C * 9 }, (_, i) => Math.cos(i * 1.3));
    const b = Float32Array.from([0.1, -0.2, 0.3, 0]);
    const g = new GraphBuilder({ opset: 17 });
    const xi = g.input('x', DataType.FLOAT, [N, C, H, W]);
    const y = g.node(
      'Conv',
      [xi, g.initializer('w', DataType.FLOAT, [O, C, 3, 3], w), g.initializer('b', DataType.FLOAT, [O], b)],
      {
        kernel_shape: attr.ints([3, 3]),
        pads: attr.ints([1, 2, 2, 1]),
        strides: attr.ints([2, 1]),
        dilations: attr.ints([2, 1]),
      },
    )[0];
    g.output(y, DataType.FLOAT);
    const sessions = new OrtSessionFactory({ device: 'cpu' });
    const s = await sessions.create(g.build().toBytes());
    const out = (await s.run({ x: { type: 'float32', dims: [N, C, H, W], data: x } }))[y];
    await s.release();
    const u = unfold(x, [N, C, H, W], geom);
    const [, , Ho, Wo] = out.dims;
    expect(u.rows).toBe(N * Ho * Wo);
    const got = out.data as Float32Array;
    for (let r = 0; r < u.rows; r++) {
      const nIdx = Math.floor(r / (Ho * Wo));
      const p = r % (Ho * Wo);
      for (let o = 0; o < O; o++) {
        let v = b[o];
        for (let j = 0; j < u.features; j++) v += u.data[r * u.features + j] * w[o * u.features + j];
        expect(got[(nIdx * O + o) * Ho * Wo + p]).toBeCloseTo(v, 4);
      }
    }
  });
});
