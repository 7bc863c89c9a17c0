/**
 * Probe inputs: random feeds shaped from a model's declared graph inputs, seeded, so two versions
 * of one model (before and after a conversion or a compression) can be run on the same data.
 *
 * A symbolic or missing dimension gets a small size, the same for every input that names it. What
 * size a model accepts cannot be read from the file, so there are plans, tried in order until the
 * model runs (SIZE_PLANS): first 1 for the leading (batch) axis, 32 for the spatial axes of an
 * image-like input (rank 4 and up, axis 2 on), 8 elsewhere; then every non-batch dimension 1, 64,
 * 512 (audio frames, long convolutions). A dimension named like a KV cache's past length is 0
 * (an empty cache) in every plan. Floats are uniform in [-1, 1); integers 0 or 1, valid as token
 * ids, masks and positions alike; bools fair coins. Initializers that an old export also lists as
 * graph inputs keep their stored values and are not fed.
 */
import { ErrorCodes, UserError } from '../errors.js';
import { DataType } from '../onnx/dtypes.js';
import type { OnnxModel } from '../onnx/model.js';
import { toNumber } from '../onnx/proto.js';
import { createRng } from '../rng.js';
import type { HostTensor } from '../session/types.js';

export interface ProbeShape {
  readonly name: string;
  readonly type: HostTensor['type'];
  readonly dims: readonly number[];
}

const HOST_TYPES: Partial<Record<DataType, HostTensor['type']>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.BOOL]: 'bool',
};

/** 'shaped': batch 1, image sides 32, others 8; a number: every non-batch symbolic dimension that size. */
export type SizePlan = 'shaped' | number;
export const SIZE_PLANS: readonly SizePlan[] = Object.freeze(['shaped', 1, 64, 512]);

function symbolicSize(param: string, axis: number, rank: number, plan: SizePlan): number {
  if (/past/i.test(param)) return 0;
  if (axis === 0) return 1;
  if (plan !== 'shaped') return plan;
  return rank >= 4 && axis >= 2 ? 32 : 8;
}

/** The inputs to feed, with the sizes `plan` gives their symbolic dimensions. */
export function probeShapes(model: OnnxModel, plan: SizePlan = 'shaped'): ProbeShape[] {
  const stored = new Set(model.initializerNames());
  const chosen = new Map<string, number>();
  return model.inputs
    .filter((v) => !stored.has(v.name ?? ''))
    .map((v) => {
      const name = v.name ?? '';
      const tt = v.type?.tensorType;
      const type = tt?.elemType === undefined || tt.elemType === null ? undefined : HOST_TYPES[tt.elemType as DataType];
      if (!tt || type === undefined) {
        throw new UserError(ErrorCodes.UNSUPPORTED, `cannot make probe inputs for ${name}: mc probes tensors of float32, float16, int64, int32, int8, uint8 or bool, and it is ${tt ? DataType[tt.elemType ?? 0] : 'not a tensor'}`);
      }
      const dimList = tt.shape?.dim ?? [];
      const dims = dimList.map((d, axis) => {
        const value = toNumber(d.dimValue ?? 0);
        if (value > 0) return value;
        const param = d.dimParam || `${name}:${axis}`;
        if (!chosen.has(param)) chosen.set(param, symbolicSize(param, axis, dimList.length, plan));
        return chosen.get(param)!;
      });
      return { name, type, dims };
    });
}

/** `count` seeded feeds for the model's inputs. */
export function probeFeeds(model: OnnxModel, count: number, seed: number, plan: SizePlan = 'shaped'): Record<string, HostTensor>[] {
  const shapes = probeShapes(model, plan);
  const rng = createRng(seed);
  return Array.from({ length: count }, () => Object.fromEntries(shapes.map((s) => [s.name, randomTensor(s, rng.next)])));
}

function randomTensor(s: ProbeShape, next: () => number): HostTensor {
  const n = s.dims.reduce((a, b) => a * b, 1);
  const uniform = () => 2 * next() - 1;
  const bit = () => (next() < 0.5 ? 0 : 1);
  switch (s.type) {
    case 'float32':
      return { type: s.type, dims: s.dims, data: Float32Array.from({ length: n }, uniform) };
    case 'float16':
      return { type: s.type, dims: s.dims, data: Uint16Array.from({ length: n }, () => float16Bits(uniform())) };
    case 'int64':
      return { type: s.type, dims: s.dims, data: BigInt64Array.from({ length: n }, () => BigInt(bit())) };
    case 'int32':
      return { type: s.type, dims: s.dims, data: Int32Array.from({ length: n }, bit) };
    case 'int8':
      return { type: s.type, dims: s.dims, data: Int8Array.from({ length: n }, bit) };
    case 'uint8':
    case 'bool':
      return { type: s.type, dims: s.dims, data: Uint8Array.from({ length: n }, bit) };
  }
}

/** A value in [-1, 1) as float16 bits (truncated to 10 mantissa bits: any value will do for a probe). */
function float16Bits(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign;
  return sign | (exp << 10) | ((u >>> 13) & 0x3ff);
}
