/**
 * What the adapters need to know about a tensor without running the model: its element type (a
 * Clip bound or a Pad value must have the data's type) and, where the file says so, its rank.
 *
 * Read from what the model declares (inputs, outputs, value_info, initializers, Constant nodes, in
 * every graph), then carried forward through the nodes in order: an op's output has its first
 * input's type unless the op says otherwise (Cast, Shape, comparisons, ...). Nothing is guessed
 * beyond that; an adapter that needs a fact it cannot get refuses the node.
 */
import { DataType } from '../dtypes.js';
import { dimsOf } from '../initializer.js';
import type { NodeProto } from '../model-types.js';
import type { onnx } from '../proto.js';
import { attribute, intAttr } from './attributes.js';

/** Ops whose every output is int64 whatever their inputs. */
const INT64_OUT = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression']);
/** Ops whose every output is bool. */
const BOOL_OUT = new Set([
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
  'And',
  'Or',
  'Xor',
  'Not',
  'IsNaN',
  'IsInf',
]);

export class TensorFacts {
  private readonly types = new Map<string, DataType>();
  private readonly ranks = new Map<string, number>();

  constructor(graph: onnx.IGraphProto) {
    this.read(graph);
  }

  elemType(name: string): DataType | undefined {
    return this.types.get(name);
  }

  rank(name: string): number | undefined {
    return this.ranks.get(name);
  }

  private declare(name: string | null | undefined, type: DataType | undefined, rank?: number): void {
    if (!name) return;
    if (type !== undefined && type !== DataType.UNDEFINED && !this.types.has(name)) this.types.set(name, type);
    if (rank !== undefined && !this.ranks.has(name)) this.ranks.set(name, rank);
  }

  private read(g: onnx.IGraphProto): void {
    for (const t of g.initializer ?? []) this.declare(t.name, t.dataType ?? undefined, dimsOf(t).length);
    for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) {
      const tt = v.type?.tensorType;
      this.declare(v.name, tt?.elemType ?? undefined, tt?.shape ? (tt.shape.dim ?? []).length : undefined);
    }
    for (const node of g.node ?? []) {
      this.carry(node);
      for (const a of node.attribute ?? []) {
        if (a.g) this.read(a.g);
        for (const sub of a.graphs ?? []) this.read(sub);
      }
    }
  }

  /** Output types of one node from its inputs' (the graph is read in order, so inputs come first). */
  private carry(node: NodeProto): void {
    const op = node.opType ?? '';
    const outs = node.output ?? [];
    const inputType = (i: number) => this.types.get(node.input?.[i] ?? '');
    if (op === 'Constant') {
      const value = attribute(node, 'value')?.t;
      const floats = attribute(node, 'value_float') ?? attribute(node, 'value_floats');
      const ints = attribute(node, 'value_int') ?? attribute(node, 'value_ints');
      this.declare(
        outs[0],
        value ? (value.dataType ?? undefined) : floats ? DataType.FLOAT : ints ? DataType.INT64 : undefined,
        value ? dimsOf(value).length : undefined,
      );
      return;
    }
    let type: DataType | undefined;
    if (op === 'Cast') type = intAttr(node, 'to');
    else if (op === 'CastLike') type = inputType(1);
    else if (INT64_OUT.has(op)) type = DataType.INT64;
    else if (BOOL_OUT.has(op)) type = DataType.BOOL;
    else if (op === 'ConstantOfShape') type = attribute(node, 'value')?.t?.dataType ?? DataType.FLOAT;
    else if (op === 'DequantizeLinear') type = inputType(1);
    else if (op === 'Where') type = inputType(1);
    else type = (node.input ?? []).map((n) => this.types.get(n)).find((t) => t !== undefined);
    this.declare(outs[0], type);
    // second outputs with a type of their own: TopK's indices, Dropout's mask (opset 10+)
    if (op === 'TopK') this.declare(outs[1], DataType.INT64);
  }
}
