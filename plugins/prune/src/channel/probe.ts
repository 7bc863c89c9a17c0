/**
 * Runs the model once on a zero input of batch 1 to learn tensor shapes (spatial sizes for the FLOP
 * count), and checks that a rewritten model loads in onnxruntime and gives outputs of the same shape.
 * Symbolic dimensions other than the batch make the probe impossible: it returns undefined.
 */
import {
  BugError,
  DataType,
  type HostTensor,
  type OnnxModel,
  type RunContext,
  type TensorElementType,
} from '@mc-kit/core';

const TYPES: Partial<Record<number, [TensorElementType, (n: number) => HostTensor['data']]>> = {
  [DataType.FLOAT]: ['float32', (n) => new Float32Array(n)],
  [DataType.INT64]: ['int64', (n) => new BigInt64Array(n)],
  [DataType.INT32]: ['int32', (n) => new Int32Array(n)],
  [DataType.UINT8]: ['uint8', (n) => new Uint8Array(n)],
};

/** Zero feeds with batch (and only batch, axis 0) set to 1; undefined when a shape is unknown. */
export function zeroFeeds(model: OnnxModel): Record<string, HostTensor> | undefined {
  const inits = new Set(model.initializerNames());
  const feeds: Record<string, HostTensor> = {};
  for (const v of model.inputs) {
    if (inits.has(v.name ?? '')) continue;
    const t = v.type?.tensorType;
    const kind = TYPES[t?.elemType ?? 0];
    if (!kind || !t?.shape?.dim) return undefined;
    const dims: number[] = [];
    for (const [i, d] of t.shape.dim.entries()) {
      if (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0) dims.push(Number(d.dimValue));
      else if (i === 0) dims.push(1);
      else return undefined;
    }
    feeds[v.name ?? ''] = { type: kind[0], dims, data: kind[1](dims.reduce((a, b) => a * b, 1)) };
  }
  return feeds;
}

/** Shapes of `tensors` on a zero input (a copy of the model with them as extra outputs). */
export async function probeShapes(
  model: OnnxModel,
  tensors: readonly string[],
  ctx: RunContext,
): Promise<Map<string, readonly number[]> | undefined> {
  const feeds = zeroFeeds(model);
  if (!feeds) return undefined;
  const graph = model.proto.graph!;
  const saved = graph.output;
  const extra = tensors.filter((t) => !(saved ?? []).some((o) => o.name === t));
  graph.output = [...(saved ?? []), ...extra.map((name) => ({ name }))];
  let bytes: Uint8Array;
  try {
    bytes = model.toBytes();
  } finally {
    graph.output = saved;
  }
  const session = await ctx.sessions.create(bytes);
  try {
    const out = await session.run(feeds, tensors);
    return new Map(tensors.map((t) => [t, out[t].dims]));
  } finally {
    await session.release();
  }
}

/** Load the rewritten model in onnxruntime and compare its output shapes with `expected`. */
export async function verifyRuns(
  model: OnnxModel,
  expected: Map<string, readonly number[]> | undefined,
  ctx: RunContext,
): Promise<void> {
  let session;
  try {
    session = await ctx.sessions.create(model.toBytes());
  } catch (e) {
    throw new BugError(`channel pruning produced a graph onnxruntime cannot load: ${(e as Error).message}`);
  }
  try {
    const feeds = zeroFeeds(model);
    if (!feeds || !expected) return;
    const names = model.outputs.map((o) => o.name ?? '');
    const out = await session.run(feeds, names);
    for (const n of names) {
      if (out[n].dims.join() !== expected.get(n)?.join())
        throw new BugError(`channel pruning changed the shape of output ${n}: ${expected.get(n)} -> ${out[n].dims}`);
    }
  } finally {
    await session.release();
  }
}
