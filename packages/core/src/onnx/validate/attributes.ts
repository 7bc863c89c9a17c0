/**
 * Attributes: a known `type`, and only the value field that type names (onnx's checker and
 * onnxruntime refuse "type field and data field mismatch" and a missing or unknown type).
 *
 * A field counts as set the way the protobuf encoder sees it: an own, non-null scalar or message,
 * or a non-empty list (decoded messages keep unset fields as prototype defaults).
 */
import { pb, type onnx } from '../proto.js';
import { CHECKS, type ValidationIssue } from './issues.js';

const T = pb.AttributeProto.AttributeType;

/** The value field each attribute type uses. */
const FIELD_OF: Readonly<Record<number, keyof onnx.IAttributeProto>> = {
  [T.FLOAT]: 'f',
  [T.INT]: 'i',
  [T.STRING]: 's',
  [T.TENSOR]: 't',
  [T.GRAPH]: 'g',
  [T.SPARSE_TENSOR]: 'sparseTensor',
  [T.TYPE_PROTO]: 'tp',
  [T.FLOATS]: 'floats',
  [T.INTS]: 'ints',
  [T.STRINGS]: 'strings',
  [T.TENSORS]: 'tensors',
  [T.GRAPHS]: 'graphs',
  [T.SPARSE_TENSORS]: 'sparseTensors',
  [T.TYPE_PROTOS]: 'typeProtos',
};
const VALUE_FIELDS = Object.values(FIELD_OF);

function isSet(a: onnx.IAttributeProto, field: keyof onnx.IAttributeProto): boolean {
  const v = a[field];
  if (Array.isArray(v)) return v.length > 0;
  return Object.prototype.hasOwnProperty.call(a, field) && v !== null && v !== undefined;
}

/** The attributes of one node (not its subgraphs: the walk reaches those itself). */
export function checkAttributes(
  node: onnx.INodeProto,
  label: string,
  graph: string,
  report: (i: ValidationIssue) => void,
): void {
  const seen = new Set<string>();
  for (const a of node.attribute ?? []) {
    const name = a.name ?? '';
    const at = (message: string) => report({ check: CHECKS.attribute, message, graph, node: label, value: name });
    if (seen.has(name)) at(`attribute "${name}" appears twice`);
    seen.add(name);
    const type = a.type ?? T.UNDEFINED;
    const field = FIELD_OF[type];
    const set = VALUE_FIELDS.filter((f) => isSet(a, f));
    if (field === undefined) {
      at(
        `attribute "${name}" has ${type === T.UNDEFINED ? 'no type' : `unknown type ${type}`}${set.length ? ` (it holds ${set.join(', ')})` : ''}`,
      );
    } else if (set.some((f) => f !== field)) {
      at(`attribute "${name}" is declared ${T[type]} but holds ${set.filter((f) => f !== field).join(', ')}`);
    }
  }
}
