/**
 * Weight discovery: every float tensor of a model, wherever the exporter put it.
 *
 *   - an initializer of the main graph (PyTorch, optimum);
 *   - an initializer also listed as a graph input (IR < 4 exports, keep_initializers_as_inputs);
 *   - a `Constant` node (Paddle2ONNX, tf2onnx folds), in its `value`, `value_float` or
 *     `value_floats` form;
 *   - an initializer or Constant inside an If/Loop/Scan body, at any depth (silero-vad's branches).
 *
 * Only reads the model. hoist-weights.ts uses it to make every such tensor a main-graph
 * initializer before a method runs; `mc inspect` uses it to count them and say where they live.
 */
import { DATA_TYPES, DataType, elementCountOf } from './dtypes.js';
import { dimsOf, makeTensor, storedByteLength } from './initializer.js';
import type { NodeProto, OnnxModel } from './model.js';
import type { onnx } from './proto.js';

/** Where a weight lives. */
export type WeightHome = 'initializer' | 'graph-input' | 'constant' | 'subgraph-initializer' | 'subgraph-constant';

export interface FoundWeight {
  readonly name: string;
  readonly home: WeightHome;
  /** The bodies it sits in, outermost first, as `<node name>/<attribute>` (e.g. `If_25/then_branch`); empty in the main graph. */
  readonly scope: readonly string[];
  /** The Constant node holding it. */
  readonly node?: string;
  readonly dataType: DataType;
  readonly dims: readonly number[];
  readonly elementCount: number;
  readonly byteLength: number;
}

/** One graph of the model: the main graph (scope []) or a body, with the node and attribute holding it. */
export interface GraphInScope {
  readonly graph: onnx.IGraphProto;
  readonly scope: readonly string[];
}

const nodeLabel = (node: NodeProto) => node.name || `${node.opType}(${(node.output ?? []).join(',')})`;

/** The main graph and every subgraph under it, parents before children. */
export function graphsOf(graph: onnx.IGraphProto, scope: readonly string[] = []): GraphInScope[] {
  const out: GraphInScope[] = [{ graph, scope }];
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.g) out.push(...graphsOf(a.g, [...scope, `${nodeLabel(node)}/${a.name}`]));
      (a.graphs ?? []).forEach((g, i) => out.push(...graphsOf(g, [...scope, `${nodeLabel(node)}/${a.name}[${i}]`])));
    }
  }
  return out;
}

export const isFloatType = (dataType: number): boolean => DATA_TYPES[dataType as DataType]?.isFloat === true;

/** The value forms a Constant node may carry (exactly one of them). */
export type ConstantForm =
  | 'value'
  | 'value_float'
  | 'value_floats'
  | 'value_int'
  | 'value_ints'
  | 'value_string'
  | 'value_strings'
  | 'sparse_value';
const FORMS: readonly string[] = [
  'value',
  'value_float',
  'value_floats',
  'value_int',
  'value_ints',
  'value_string',
  'value_strings',
  'sparse_value',
];

export interface ConstantValue {
  /** the value attributes present (a valid Constant has exactly one) */
  readonly forms: readonly ConstantForm[];
  /** the value as a dense tensor named after the node's output, when it is a float tensor */
  readonly floatTensor?: onnx.ITensorProto;
  /** the element type, when the value is a dense tensor */
  readonly dataType?: number;
}

/** What a Constant node holds. `value_float(s)` become float32 tensors ([] and [n]); nothing is copied for other forms. */
export function constantValue(node: NodeProto): ConstantValue {
  const attrs = (node.attribute ?? []).filter((a) => FORMS.includes(a.name ?? ''));
  const forms = attrs.map((a) => a.name as ConstantForm);
  if (attrs.length !== 1) return { forms };
  const a = attrs[0];
  const name = node.output?.[0] ?? '';
  switch (a.name) {
    case 'value': {
      const t = a.t ?? {};
      const dataType = t.dataType ?? 0;
      return { forms, dataType, ...(isFloatType(dataType) ? { floatTensor: { ...t, name } } : {}) };
    }
    case 'value_float':
      return {
        forms,
        dataType: DataType.FLOAT,
        floatTensor: makeTensor(name, DataType.FLOAT, [], Float32Array.of(a.f ?? 0)),
      };
    case 'value_floats': {
      const values = Float32Array.from(a.floats ?? []);
      return {
        forms,
        dataType: DataType.FLOAT,
        floatTensor: makeTensor(name, DataType.FLOAT, [values.length], values),
      };
    }
    case 'value_int':
    case 'value_ints':
      return { forms, dataType: DataType.INT64 };
    case 'value_string':
    case 'value_strings':
      return { forms, dataType: DataType.STRING };
    default:
      return { forms };
  }
}

export const isConstantNode = (node: NodeProto): boolean =>
  node.opType === 'Constant' && ((node.domain ?? '') === '' || node.domain === 'ai.onnx');

function found(t: onnx.ITensorProto, home: WeightHome, scope: readonly string[], node?: NodeProto): FoundWeight {
  const dims = dimsOf(t);
  const elementCount = elementCountOf(dims);
  return {
    name: t.name ?? '',
    home,
    scope,
    ...(node ? { node: nodeLabel(node) } : {}),
    dataType: (t.dataType ?? 0) as DataType,
    dims,
    elementCount,
    byteLength: storedByteLength(t, elementCount),
  };
}

/** Every float tensor of the model, in graph order (main graph first, then each body). */
export function findWeights(model: OnnxModel): FoundWeight[] {
  const out: FoundWeight[] = [];
  const mainInputs = new Set(model.inputs.map((v) => v.name ?? ''));
  for (const { graph, scope } of graphsOf(model.proto.graph ?? {})) {
    const main = scope.length === 0;
    for (const t of graph.initializer ?? []) {
      if (!isFloatType(t.dataType ?? 0)) continue;
      out.push(
        found(t, main ? (mainInputs.has(t.name ?? '') ? 'graph-input' : 'initializer') : 'subgraph-initializer', scope),
      );
    }
    for (const node of graph.node ?? []) {
      if (!isConstantNode(node)) continue;
      const t = constantValue(node).floatTensor;
      if (t) out.push(found(t, main ? 'constant' : 'subgraph-constant', scope, node));
    }
  }
  return out;
}
