/**
 * The inverse of rewrite.ts for `mc decompress`: each form int4 wrote goes back to a dense
 * initializer holding exactly what onnxruntime computes from it (math.ts `dequantizeInt4`, pack.ts
 * `dequantizeBlockedDQ`), in the scales' float type:
 * - MatMulNBits over `<W>_q4` -> MatMul(A, W), W [K, N];
 * - DequantizeLinear (block_size, int4/uint4 `<W>_q4`), with the Reshape of a flattened weight;
 * - nibbles unpacked by integer ops, and the int8 fallback's Cast/Mul, as mc.quant.decode lists them;
 * - int8 fallback DequantizeLinear over `<W>_q8` (int8's decompress does the folding).
 * Nodes that int4 did not write are left alone.
 */
import {
  DataType,
  ErrorCodes,
  UserError,
  throwIfAborted,
  type Initializer,
  type NodeProto,
  type OnnxModel,
  type RunContext,
} from '@mc-kit/core';
import { dropIfUnused, findNBitsGroups, intAttrOf, restoreNBitsGroup, type NBitsGroup } from '../nbits-groups.js';
import { encodeFloats, SCALE_TYPES, type FloatType } from '../grid/float-types.js';
import { findInt8Nodes, restoreInt8Node } from '../int8/decompress.js';
import { restoreCastMul } from '../int8/cast-decode.js';
import { readDecodeRecords, removeDecodeRecords } from '../decode-records.js';
import { restoreNibbles } from './nibbles.js';
import { dequantizeInt4 } from './math.js';
import { dequantizeBlockedDQ, unpackMatMulNBits } from './pack.js';

/** The weight name behind `<W>_q4` or `<W>_q4_<n>` (uniqueName's suffix), else undefined. */
export function weightNameOf(codes: string): string | undefined {
  return /^(.+)_q4(?:_\d+)?$/.exec(codes)?.[1];
}

function restoreNBits(model: OnnxModel, g: NBitsGroup): string {
  const blocks = unpackMatMulNBits(
    {
      B: g.B.readTyped() as Uint8Array,
      scales: g.scales.readFloat32(),
      zeroPoints: g.zp?.readTyped() as Uint8Array | undefined,
      K: g.K,
      N: g.N,
      blockSize: g.blockSize,
    },
    g.scaleType,
  );
  return restoreNBitsGroup(model, g, dequantizeInt4(blocks, g.scaleType));
}

interface BlockedDQ {
  readonly node: NodeProto;
  /** the Reshape back to the weight's shape, for a flattened weight */
  readonly reshape?: { node: NodeProto; shape: Initializer };
  readonly weight: string;
  readonly q: Initializer;
  readonly scales: Initializer;
  readonly zp?: Initializer;
  readonly scaleType: FloatType;
}

function findBlockedDQ(model: OnnxModel): BlockedDQ[] {
  const found: BlockedDQ[] = [];
  for (const node of model.nodes) {
    if (node.opType !== 'DequantizeLinear' || (node.domain ?? '') !== '' || intAttrOf(node, 'block_size') === undefined)
      continue;
    const [qName, sName, zName] = node.input ?? [];
    const weight = qName ? weightNameOf(qName) : undefined;
    const out = node.output?.[0];
    const q = qName ? model.getInitializer(qName) : undefined;
    const scales = sName ? model.getInitializer(sName) : undefined;
    const zp = zName ? model.getInitializer(zName) : undefined;
    const scaleType = scales && SCALE_TYPES.get(scales.dataType);
    if (!weight || !out || !q || !scales || !scaleType || (zName && !zp)) continue;
    if (q.dataType !== DataType.INT4 && q.dataType !== DataType.UINT4) continue;
    if (out === weight) {
      found.push({ node, weight, q, scales, zp, scaleType });
      continue;
    }
    const readers = model.consumers(out);
    const r = readers[0]?.node;
    const shape = r?.input?.[1] ? model.getInitializer(r.input[1]) : undefined;
    if (readers.length === 1 && r?.opType === 'Reshape' && r.output?.[0] === weight && shape) {
      found.push({ node, reshape: { node: r, shape }, weight, q, scales, zp, scaleType });
    }
  }
  return found;
}

function restoreBlockedDQ(model: OnnxModel, f: BlockedDQ): string {
  const dims = f.q.dims;
  const axisRaw = intAttrOf(f.node, 'axis') ?? 1;
  const axis = axisRaw < 0 ? axisRaw + dims.length : axisRaw;
  const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);
  const layout = { outer: prod(dims.slice(0, axis)), dim: dims[axis], inner: prod(dims.slice(axis + 1)) };
  const tensors = {
    codes: f.q.readTyped() as Int8Array | Uint8Array,
    scales: f.scales.readFloat32(),
    zeroPoints: f.zp?.readTyped() as Int8Array | Uint8Array | undefined,
  };
  const dense = dequantizeBlockedDQ(tensors, layout, intAttrOf(f.node, 'block_size') as number, f.scaleType);
  const shape = f.reshape ? Array.from(f.reshape.shape.readTyped() as BigInt64Array, Number) : [...dims];
  model.removeNode(f.node);
  if (f.reshape) model.removeNode(f.reshape.node);
  dropIfUnused(model, [f.q, f.scales, f.zp, f.reshape?.shape]);
  model.setInitializer(f.weight, f.scales.dataType, shape, encodeFloats(dense, f.scaleType));
  return f.weight;
}

/** Dense weights back in place of everything int4 wrote; returns the names restored. */
export async function dequantizeInt4Weights(model: OnnxModel, ctx: RunContext): Promise<string[]> {
  const nbits = findNBitsGroups(model, [4]);
  const blocked = findBlockedDQ(model);
  const int8 = findInt8Nodes(model, '_q8');
  const decodes = Object.entries(readDecodeRecords(model)).filter(([, r]) => r.method === 'int4');
  const total = nbits.length + blocked.length + int8.length + decodes.length;
  if (total === 0) {
    throw new UserError(ErrorCodes.NOT_COMPRESSED, 'int4: the model has no int4-quantized weights to restore', {
      hint: 'mc decompress undoes what mc compress --method int4 wrote (MatMulNBits and blocked DequantizeLinear over <name>_q4 initializers)',
    });
  }
  const task = ctx.progress.start('int4 decompress', total);
  const restored: string[] = [];
  const step = (f: () => string) => {
    if (ctx.signal.aborted) task.fail();
    throwIfAborted(ctx.signal); // each step leaves a valid model, so stopping half way is safe
    restored.push(f());
    task.tick();
  };
  for (const g of nbits) step(() => restoreNBits(model, g));
  for (const f of blocked) step(() => restoreBlockedDQ(model, f));
  for (const f of int8) step(() => (restoreInt8Node(model, f), f.name));
  for (const [weight, r] of decodes) {
    step(() => {
      if (r.form === 'nibbles') restoreNibbles(model, weight, r);
      else restoreCastMul(model, weight, r);
      removeDecodeRecords(model, [weight]);
      return weight;
    });
  }
  task.done(`int4: restored ${total} dense weights`);
  return restored;
}
