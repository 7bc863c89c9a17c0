/**
 * Tensors and shapes: every dimension a safe integer (>= 0 in tensors; a shape's dim_value past 2^53
 * is refused too, since nothing can hold it; onnxruntime reads a negative one as unknown), and every
 * tensor's data exactly as long as its dims and data type say, wherever the data lives (raw_data,
 * the typed fields, external data).
 */
import { byteSizeOf, DATA_TYPES, DataType, dataTypeName } from '../dtypes.js';
import { isExternal } from '../external-data.js';
import type { onnx } from '../proto.js';
import { CHECKS, type ValidationIssue } from './issues.js';

type Report = (i: ValidationIssue) => void;

/** A dim as a number, or the reason it is not a usable one. protobufjs decodes int64 as Long; load() turns those that fit into numbers. */
export function dimValue(d: unknown): number | string {
  const n =
    typeof d === 'number'
      ? d
      : typeof (d as { toNumber?: unknown })?.toNumber === 'function'
        ? (d as { toNumber(): number }).toNumber()
        : Number.NaN;
  if (Number.isSafeInteger(n)) return n;
  return Number.isFinite(n) ? `${String(d)} is past 2^53` : `${String(d)} is not an integer`;
}

export interface TensorWhere {
  readonly graph: string;
  readonly node?: string;
  /** 'initializer', 'Constant value', ... */
  readonly role: string;
}

/** Dims and data of one tensor. */
export function checkTensor(t: onnx.ITensorProto, where: TensorWhere, report: Report): void {
  const name = t.name ?? '';
  const at = (check: ValidationIssue['check'], message: string) =>
    report({ check, message, graph: where.graph, node: where.node, value: name || undefined });
  const what = `${where.role}${name ? ` "${name}"` : ''}`;
  let count = 1;
  for (const d of t.dims ?? []) {
    const v = dimValue(d);
    if (typeof v === 'string' || v < 0) {
      at(CHECKS.dims, `${what} has dimension ${typeof v === 'string' ? v : `${v} (negative)`}`);
      return;
    }
    count *= v;
  }
  if (!Number.isSafeInteger(count)) {
    at(CHECKS.dims, `${what} has dims [${(t.dims ?? []).join(', ')}]: more elements than any file can hold`);
    return;
  }
  const dt = t.dataType ?? DataType.UNDEFINED;
  if (dt === DataType.STRING) {
    const n = t.stringData?.length ?? 0;
    if (!isExternal(t) && n !== count) at(CHECKS.tensorData, `${what} has ${n} strings but its dims need ${count}`);
    return;
  }
  if (!DATA_TYPES[dt as DataType]) {
    at(
      CHECKS.tensorData,
      `${what} has data type ${dt === DataType.UNDEFINED ? 'UNDEFINED' : dataTypeName(dt)}, which holds no values`,
    );
    return;
  }
  const bytes = byteSizeOf(dt, count);
  if (isExternal(t)) {
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    if (!entries.get('location')) at(CHECKS.tensorData, `${what} is marked external but names no location`);
    for (const key of ['offset', 'length']) {
      const raw = entries.get(key);
      if (raw !== undefined && !(Number.isSafeInteger(Number(raw)) && Number(raw) >= 0))
        at(CHECKS.tensorData, `${what} has external ${key} "${raw}"`);
    }
    const length = entries.get('length');
    if (length !== undefined && Number(length) !== bytes)
      at(CHECKS.tensorData, `${what} has external length ${length} but its dims need ${bytes} bytes`);
    return;
  }
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== bytes)
      at(
        CHECKS.tensorData,
        `${what} has ${t.rawData.length} bytes of raw_data but its dims and ${dataTypeName(dt)} need ${bytes}`,
      );
    return;
  }
  const typed = typedField(t, dt, count);
  if (typed.have !== typed.want) {
    at(
      CHECKS.tensorData,
      typed.have === 0
        ? `${what} has no data (its dims need ${count} values)`
        : `${what} has ${typed.have} values in ${typed.field} but its dims need ${typed.want}`,
    );
  }
}

/** Which typed field holds a tensor of this type when raw_data is empty, and how many entries it needs (onnx.proto's rules). */
function typedField(t: onnx.ITensorProto, dt: number, count: number): { field: string; have: number; want: number } {
  switch (dt) {
    case DataType.FLOAT:
      return { field: 'float_data', have: t.floatData?.length ?? 0, want: count };
    case DataType.COMPLEX64:
      return { field: 'float_data', have: t.floatData?.length ?? 0, want: 2 * count };
    case DataType.DOUBLE:
      return { field: 'double_data', have: t.doubleData?.length ?? 0, want: count };
    case DataType.COMPLEX128:
      return { field: 'double_data', have: t.doubleData?.length ?? 0, want: 2 * count };
    case DataType.INT64:
      return { field: 'int64_data', have: t.int64Data?.length ?? 0, want: count };
    case DataType.UINT32:
    case DataType.UINT64:
      return { field: 'uint64_data', have: t.uint64Data?.length ?? 0, want: count };
    case DataType.INT4:
    case DataType.UINT4:
      return { field: 'int32_data', have: t.int32Data?.length ?? 0, want: Math.ceil(count / 2) };
    default:
      return { field: 'int32_data', have: t.int32Data?.length ?? 0, want: count };
  }
}

/** Dims of a value's type (graph inputs, outputs, value_info, TYPE_PROTO attributes), nested types included. */
export function checkType(
  tp: onnx.ITypeProto | null | undefined,
  value: { name: string; role: string },
  graph: string,
  report: Report,
): void {
  if (!tp) return;
  for (const shape of [tp.tensorType?.shape, tp.sparseTensorType?.shape]) {
    for (const d of shape?.dim ?? []) {
      if (!Object.prototype.hasOwnProperty.call(d, 'dimValue') || d.dimValue === null || d.dimValue === undefined)
        continue;
      const v = dimValue(d.dimValue);
      if (typeof v === 'string')
        report({
          check: CHECKS.dims,
          message: `${value.role} "${value.name}" has shape dimension ${v}`,
          graph,
          value: value.name,
        });
    }
  }
  checkType(tp.sequenceType?.elemType, value, graph, report);
  checkType(tp.optionalType?.elemType, value, graph, report);
  checkType(tp.mapType?.valueType, value, graph, report);
}
