/**
 * The onnx-proto binding, and int64 clean-up after decoding.
 *
 * onnx-proto is CommonJS that assigns `module.exports = $root`, which Node's ESM loader cannot see
 * named exports through; so the runtime namespace comes from the default import, types from the
 * type-only import.
 *
 * protobufjs decodes every int64 (dims, ir_version, opset versions, attribute ints, shape dims) as a
 * Long object, so `attr.i === 1` or `dims[0] * 2` silently go wrong in callers. normalizeInt64 turns
 * them into numbers once, at load. Values beyond 2^53 stay Long (e.g. Slice ends of INT64_MAX),
 * because rounding them would change the model. Tensor int64_data/uint64_data are left alone: the
 * tensor codec reads them exactly as BigInt.
 */
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';

export type { onnx };
/** Runtime message classes (ModelProto, TensorProto, ...). */
export const pb: typeof onnx = onnxProto.onnx;

export interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
}

function isLong(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && typeof (v as LongLike).toNumber === 'function' && 'high' in v;
}

/** int64 field -> number (throws on values that do not fit exactly: dims and counts never do that). */
export function toNumber(v: number | LongLike | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  const n = v.toNumber();
  if (!Number.isSafeInteger(n)) throw new RangeError(`int64 value ${String(v)} does not fit a JS number`);
  return n;
}

/** Long (or protobufjs's plain {low, high, unsigned}) -> bigint, exact (int64_data / uint64_data). */
export function toBigInt(v: number | string | { low: number; high: number; unsigned?: boolean }): bigint {
  if (typeof v === 'number' || typeof v === 'string') return BigInt(v);
  const big = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? big : BigInt.asIntN(64, big);
}

/** A Long that fits a double exactly becomes a number; others are kept. */
function norm<T>(v: T): T | number {
  if (!isLong(v)) return v;
  const n = v.toNumber();
  return Number.isSafeInteger(n) ? n : v;
}

/**
 * Normalise obj[key] only where the decoder set it: protobufjs keeps defaults (e.g. `i = Long 0`)
 * on the prototype, and turning a default into an own property makes the encoder write it, which
 * onnxruntime rejects ("type field and data field mismatch" for an INTS attribute with i = 0, or a
 * dim with both dim_value and dim_param).
 */
function normField<O extends object>(obj: O, key: keyof O): void {
  if (Object.prototype.hasOwnProperty.call(obj, key) && obj[key] != null) obj[key] = norm(obj[key]) as O[keyof O];
}

function normArray<T>(a: T[] | null | undefined): void {
  if (!a) return;
  for (let i = 0; i < a.length; i++) a[i] = norm(a[i]) as T;
}

/** Replace safe Long values by numbers, in place, through the whole model (subgraphs included). */
export function normalizeInt64(model: onnx.IModelProto): void {
  normField(model, 'irVersion');
  normField(model, 'modelVersion');
  for (const op of model.opsetImport ?? []) normField(op, 'version');
  if (model.graph) normalizeGraph(model.graph);
  for (const f of model.functions ?? []) {
    for (const op of f.opsetImport ?? []) normField(op, 'version');
    for (const n of f.node ?? []) normalizeNode(n);
  }
}

function normalizeGraph(g: onnx.IGraphProto): void {
  for (const t of g.initializer ?? []) normalizeTensor(t);
  for (const s of g.sparseInitializer ?? []) normalizeSparse(s);
  for (const n of g.node ?? []) normalizeNode(n);
  for (const vi of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])])
    if (vi.type) normalizeType(vi.type);
}

function normalizeNode(n: onnx.INodeProto): void {
  for (const a of n.attribute ?? []) {
    normField(a, 'i');
    normArray(a.ints);
    if (a.t) normalizeTensor(a.t);
    for (const t of a.tensors ?? []) normalizeTensor(t);
    if (a.sparseTensor) normalizeSparse(a.sparseTensor);
    for (const s of a.sparseTensors ?? []) normalizeSparse(s);
    if (a.g) normalizeGraph(a.g);
    for (const g of a.graphs ?? []) normalizeGraph(g);
    if (a.tp) normalizeType(a.tp);
  }
}

function normalizeTensor(t: onnx.ITensorProto): void {
  normArray(t.dims);
  if (t.segment) {
    normField(t.segment, 'begin');
    normField(t.segment, 'end');
  }
}

function normalizeSparse(s: onnx.ISparseTensorProto): void {
  normArray(s.dims);
  if (s.values) normalizeTensor(s.values);
  if (s.indices) normalizeTensor(s.indices);
}

function normalizeType(tp: onnx.ITypeProto): void {
  for (const d of tp.tensorType?.shape?.dim ?? []) normField(d, 'dimValue');
  for (const d of tp.sparseTensorType?.shape?.dim ?? []) normField(d, 'dimValue');
  if (tp.sequenceType?.elemType) normalizeType(tp.sequenceType.elemType);
  if (tp.optionalType?.elemType) normalizeType(tp.optionalType.elemType);
  if (tp.mapType?.valueType) normalizeType(tp.mapType.valueType);
}
