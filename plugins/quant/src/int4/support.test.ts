/**
 * plan.ts's ORT_CPU_INT4 table against a real onnxruntime-node CPU session, cell by cell: each
 * int4 encoding with float32, float16 and bfloat16 scales either loads and runs, or fails to find
 * a kernel. If onnxruntime gains (or drops) a kernel, this test says which cell to change.
 */
import { DataType, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import type { FloatType } from '../grid/float-types.js';
import { sessions } from '../int8/testkit.fixture.js';
import { ORT_CPU_INT4 } from './plan.js';

const TYPES: Record<FloatType, DataType> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  bfloat16: DataType.BFLOAT16,
};

/** MatMulNBits: x [1, 32] @ W [32, 2], one block of 32. */
function nbits(t: DataType): OnnxModel {
  const g = new GraphBuilder({ opset: 17, opsets: { 'com.microsoft': 1 } });
  const x = g.input('x', t, [1, 32]);
  const b = g.initializer('w_q4', DataType.UINT8, [2, 1, 16], new Uint8Array(32).fill(0x98));
  const s = g.initializer('w_scales', t, [2], new Float32Array([1, 0.5]));
  const [y] = g.node(
    'MatMulNBits',
    [x, b, s],
    { K: 32, N: 2, bits: 4, block_size: 32, accuracy_level: 0 },
    { domain: 'com.microsoft' },
  );
  g.output(y, t);
  return g.build();
}

/** DequantizeLinear-21: int4 [2, 40] blocked by 16 along axis 1 (a short last block) into a Gather. */
function blockedDQ(t: DataType): OnnxModel {
  const g = new GraphBuilder({ opset: 21, irVersion: 10 });
  const q = g.initializer(
    'w_q4',
    DataType.INT4,
    [2, 40],
    Int8Array.from({ length: 80 }, (_, i) => (i % 16) - 8),
  );
  const s = g.initializer('w_scales', t, [2, 3], new Float32Array([1, 2, 4, 0.5, 0.25, 8]));
  const [w] = g.node('DequantizeLinear', [q, s], { axis: 1, block_size: 16 });
  const ids = g.input('ids', DataType.INT64, [1]);
  g.output(g.gather(w, ids), t);
  return g.build();
}

async function runs(
  model: OnnxModel,
  feeds: Parameters<Awaited<ReturnType<typeof sessions.create>>['run']>[0],
): Promise<boolean> {
  let session;
  try {
    session = await sessions.create(model.toBytes());
  } catch (e) {
    expect(String((e as Error).message)).toMatch(/Could not find an implementation/);
    return false;
  }
  try {
    await session.run(feeds);
    return true;
  } finally {
    await session.release();
  }
}

describe('ORT_CPU_INT4 matches onnxruntime-node CPU', () => {
  it.each(['float32', 'float16', 'bfloat16'] as FloatType[])('%s', async (type) => {
    const t = TYPES[type];
    const x =
      type === 'float32'
        ? { type: 'float32' as const, data: new Float32Array(32).fill(1), dims: [1, 32] }
        : { type: 'float16' as const, data: new Uint16Array(32).fill(0x3c00), dims: [1, 32] };
    // bfloat16 cannot be fed from JS here; its sessions fail at load, before any feed is looked at.
    expect(await runs(nbits(t), { x })).toBe(ORT_CPU_INT4.MatMulNBits.includes(type));
    expect(await runs(blockedDQ(t), { ids: { type: 'int64', data: BigInt64Array.from([1n]), dims: [1] } })).toBe(
      ORT_CPU_INT4['DequantizeLinear-21'].includes(type),
    );
  });
});
