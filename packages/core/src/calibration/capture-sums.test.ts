/**
 * captureActivations with sums: true (channel pruning's bias refit needs Σx, the patch means):
 * Σx per im2col feature and per group, and per MatMul input feature, against values unfolded by
 * hand; two halves merge to the whole; without the option nothing changes.
 */
import { createRunContext } from '../context.js';
import { DataType } from '../onnx/dtypes.js';
import { OrtSessionFactory } from '../session/factory.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { captureActivations, statsOf } from './capture.js';
import { mergeStats } from './stats.js';
import { findWeightTargets } from './targets.js';
import type { CalibrationSet } from './types.js';

const sessions = new OrtSessionFactory({ device: 'cpu' });
const ctx = createRunContext({ sessions, progressMode: 'silent' });

/** x [1, 2, 3, 3] = 1..18 -> Conv 2x2 (group 2, pads [1,0,0,0]); m [4, 3] -> MatMul. */
function net() {
  const g = new GraphBuilder();
  const x = g.input('x', DataType.FLOAT, [1, 2, 3, 3]);
  const m = g.input('m', DataType.FLOAT, [4, 3]);
  const w = g.initializer('W', DataType.FLOAT, [2, 1, 2, 2], new Float32Array(8).fill(1));
  g.output(g.conv(x, w, undefined, { pads: [1, 0, 0, 0], group: 2 }), DataType.FLOAT);
  g.output(
    g.node('MatMul', [m, g.initializer('M', DataType.FLOAT, [3, 2], new Float32Array(6).fill(1))])[0],
    DataType.FLOAT,
  );
  return g.build();
}

const x = Float32Array.from({ length: 18 }, (_, i) => i + 1);
const m = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
const set = (k: number): CalibrationSet => ({
  info: { dataset: 'test', samples: k },
  samples: Array.from({ length: k }, () => ({
    kind: 'feeds' as const,
    feeds: {
      x: { type: 'float32' as const, data: x, dims: [1, 2, 3, 3] },
      m: { type: 'float32' as const, data: m, dims: [4, 3] },
    },
  })),
});

describe('captureActivations sums', () => {
  it('sums every im2col feature per group and every MatMul input feature', async () => {
    const model = net();
    const targets = findWeightTargets(model);
    const stats = await captureActivations(model, targets, set(1), ctx, { sums: true });
    // channel 0 = 1..9 as a 3x3 image, padded one row on top: output 3 x 2 positions (rows -1..1, cols 0..1).
    // offset (0,0) reads rows -1,0,1 x cols 0,1: 0 0 1 2 4 5 -> 12; (0,1): cols 1,2: 0 0 2 3 5 6 -> 16;
    // (1,0): rows 0..2 x cols 0,1: 1 2 4 5 7 8 -> 27; (1,1): 2 3 5 6 8 9 -> 33. Channel 1 = channel 0 + 9: add 9 per position read.
    const [g0, g1] = statsOf(stats, targets[0]);
    expect([...g0.sum!]).toEqual([12, 16, 27, 33]);
    expect([...g1.sum!]).toEqual([12 + 4 * 9, 16 + 4 * 9, 27 + 6 * 9, 33 + 6 * 9]);
    expect(g0.rows).toBe(6);
    const [mm] = statsOf(stats, targets[1]);
    expect([...mm.sum!]).toEqual([1 + 4 + 7 + 10, 2 + 5 + 8 + 11, 3 + 6 + 9 + 12]);
    expect(mm.rows).toBe(4);
  });

  it('merges: two captures of one sample each add up to a capture of both', async () => {
    const model = net();
    const targets = findWeightTargets(model);
    const one = await captureActivations(model, targets, set(1), ctx, { sums: true });
    const two = await captureActivations(model, targets, set(2), ctx, { sums: true });
    const [a] = statsOf(one, targets[0]);
    const [b] = statsOf(two, targets[0]);
    const merged = mergeStats(a, a);
    expect([...merged.sum!]).toEqual([...b.sum!]);
    expect(merged.rows).toBe(b.rows);
  });

  it('leaves sums out unless asked', async () => {
    const model = net();
    const targets = findWeightTargets(model);
    const stats = await captureActivations(model, targets, set(1), ctx);
    expect(statsOf(stats, targets[0])[0].sum).toBeUndefined();
  });
});
