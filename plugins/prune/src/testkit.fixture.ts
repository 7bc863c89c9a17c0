/** Test helpers (excluded from the build): a run context, seeded weights, a tiny LM-shaped graph. */
import {
  createRunContext,
  DataType,
  OrtSessionFactory,
  type CalibrationSource,
  type HostTensor,
  type OnnxModel,
  type RunContext,
} from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';

export const sessions = new OrtSessionFactory({ device: 'cpu' });

export function testContext(calibration?: CalibrationSource): RunContext {
  return createRunContext({ sessions, progressMode: 'silent', calibration });
}

/** Deterministic values in [-scale, scale) (mulberry32). */
export function seeded(count: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1) * scale;
  });
}

export const VOCAB = 16;
export const DIM = 8;
export const HIDDEN = 16;

/** ids -> Gather(emb [16, 8]) -> MatMul w1 [8, 16] + b1 -> Relu -> MatMul w2 [16, 8] -> MatMul head [8, 16] = logits */
export function tinyLm(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const ids = g.input('ids', DataType.INT64, [1, 'T']);
  const emb = g.initializer('emb', DataType.FLOAT, [VOCAB, DIM], seeded(VOCAB * DIM, 1));
  const h = g.gather(emb, ids);
  const w1 = g.initializer('w1', DataType.FLOAT, [DIM, HIDDEN], seeded(DIM * HIDDEN, 2));
  const b1 = g.initializer('b1', DataType.FLOAT, [HIDDEN], seeded(HIDDEN, 3));
  const a = g.relu(g.add(g.matMul(h, w1), b1));
  const w2 = g.initializer('w2', DataType.FLOAT, [HIDDEN, DIM], seeded(HIDDEN * DIM, 4));
  const head = g.initializer('head', DataType.FLOAT, [DIM, VOCAB], seeded(DIM * VOCAB, 5));
  g.output(g.matMul(g.matMul(a, w2), head), DataType.FLOAT, [1, 'T', VOCAB]);
  return g.build();
}

export const idsTensor = (ids: number[]): HostTensor => ({
  type: 'int64',
  dims: [1, ids.length],
  data: BigInt64Array.from(ids, BigInt),
});

/** A calibration source of ready-made feeds. */
export function feedsCalibration(windows: number[][]): CalibrationSource {
  const set = {
    info: { dataset: 'test windows', samples: windows.length },
    samples: windows.map((w) => ({ kind: 'feeds' as const, feeds: { ids: idsTensor(w) } })),
  };
  return { info: set.info, load: async () => set };
}

export async function runOnce(model: OnnxModel, feeds: Record<string, HostTensor>): Promise<HostTensor> {
  const s = await sessions.create(model.toBytes());
  try {
    return (await s.run(feeds))[model.outputs[0].name ?? ''];
  } finally {
    await s.release();
  }
}
