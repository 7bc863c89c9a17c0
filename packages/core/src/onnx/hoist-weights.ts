/**
 * Make every float weight a main-graph initializer, so that selectWeights and every method (first
 * party or community) see ordinary initializers whatever form the exporter chose (weight-sources.ts
 * lists the forms). compressModel runs it once, before the chain.
 *
 * - A float `Constant` node of the main graph becomes an initializer named after its output.
 * - A float initializer or Constant inside an If/Loop/Scan body moves to the main graph; the body
 *   then reads it from the outer scope, as ONNX allows and onnxruntime runs. A name that another
 *   value of the model also defines (sibling branches reusing `664`, a body shadowing an outer
 *   name) is renamed with every reference to it in that body; otherwise it keeps its name.
 * - IR < 4 requires every initializer to be listed as a graph input, so the moved ones are listed too
 *   (onnxruntime treats initializers of IR < 4 models as constants, inputs or not).
 *
 * Values are moved, never converted: a tensor no method rewrites keeps its bytes. A tensor that is
 * an output of its own graph, or a formal input of a Loop/Scan body, stays where it is.
 *
 * A Constant that cannot be a weight where one is read (sparse or string values at a MatMul/Conv/...
 * weight slot), or that is malformed (no value, several values, raw_data of the wrong size), is bad
 * input: UserError naming the node, the op and the opset.
 */
import { ErrorCodes, UserError } from '../errors.js';
import { byteSizeOf, elementCountOf } from './dtypes.js';
import { findConsumers } from './graph-names.js';
import { dimsOf } from './initializer.js';
import type { NodeProto, OnnxModel, TensorProto, ValueInfoProto } from './model.js';
import type { onnx } from './proto.js';
import { isWeightSlot } from './weight-roles.js';
import { constantValue, graphsOf, isConstantNode, isFloatType, type GraphInScope } from './weight-sources.js';

export interface HoistReport {
  /** Constant nodes of the main graph whose float value became an initializer */
  readonly constants: number;
  /** float tensors moved out of If/Loop/Scan bodies (initializers and Constant nodes) */
  readonly fromSubgraphs: number;
  /** names changed because another value of the model defines the same name */
  readonly renamed: readonly { readonly from: string; readonly to: string; readonly scope: string }[];
}

/** A float tensor to move: where it is defined and what defines it. */
interface Move {
  readonly at: GraphInScope;
  readonly tensor: TensorProto;
  /** the Constant node holding it (absent: an initializer of `at.graph`) */
  readonly node?: NodeProto;
}

const label = (node: NodeProto) =>
  node.name ? `${node.opType} node ${node.name}` : `${node.opType} node (output ${node.output?.[0] ?? '?'})`;

/** The first reader of `name` at a weight slot, in `graph` or the bodies under it; a string table read by Gather is a lookup, not a weight. */
function weightReader(graph: onnx.IGraphProto, name: string, strings: boolean): NodeProto | undefined {
  return findConsumers(graph.node ?? [], name).find(
    (c) => isWeightSlot(c.node, c.inputIndex) && !(strings && c.node.opType === 'Gather'),
  )?.node;
}

/** Refuse Constants that are malformed, or that cannot be a weight where one is read. */
function checkConstants(model: OnnxModel, graphs: readonly GraphInScope[]): void {
  const opset = model.opset('') ?? 1;
  const bad = (node: NodeProto, what: string, hint: string): never => {
    throw new UserError(ErrorCodes.BAD_MODEL, `${label(node)} (opset ${opset}) ${what}`, { hint });
  };
  for (const { graph } of graphs) {
    for (const node of graph.node ?? []) {
      if (!isConstantNode(node)) continue;
      const value = constantValue(node);
      if (value.forms.length !== 1) {
        bad(
          node,
          value.forms.length === 0
            ? 'has no value attribute'
            : `has ${value.forms.length} value attributes (${value.forms.join(', ')}); ONNX allows exactly one`,
          'the model is malformed (onnxruntime refuses it too): export it again',
        );
      }
      const t = value.floatTensor;
      if (t?.rawData && t.rawData.length > 0) {
        const need = byteSizeOf(t.dataType ?? 0, elementCountOf(dimsOf(t)));
        if (t.rawData.length !== need)
          bad(
            node,
            `holds ${t.rawData.length} bytes of raw_data, but its shape [${dimsOf(t).join(', ')}] needs ${need}`,
            'the model file is damaged: export it again',
          );
      }
      const kind =
        value.forms[0] === 'sparse_value'
          ? 'a sparse tensor'
          : value.dataType === 8 /* STRING */
            ? 'strings'
            : undefined;
      const reader = kind && weightReader(graph, node.output?.[0] ?? '', kind === 'strings');
      if (kind && reader) {
        bad(
          node,
          `holds ${kind} where ${label(reader)} reads its weight; mc rewrites dense float weights`,
          'export the model with dense float weights (a sparse or string Constant cannot be a weight)',
        );
      }
    }
  }
}

/** Whether `graph` itself (not an outer scope) defines `name`. */
function defines(graph: onnx.IGraphProto, name: string): boolean {
  return (
    (graph.input ?? []).some((v) => v.name === name) ||
    (graph.initializer ?? []).some((t) => t.name === name) ||
    (graph.sparseInitializer ?? []).some((t) => t.values?.name === name) ||
    (graph.node ?? []).some((n) => (n.output ?? []).includes(name))
  );
}

/** Rename every read of `from` in `graph` and the bodies under it that do not define `from` themselves. */
function renameReads(graph: onnx.IGraphProto, from: string, to: string): void {
  for (const node of graph.node ?? []) {
    if (node.input?.includes(from)) node.input = node.input.map((i) => (i === from ? to : i));
    for (const a of node.attribute ?? []) {
      for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) if (!defines(g, from)) renameReads(g, from, to);
    }
  }
}

/** Every float tensor to move, main graph first; and the names defined by everything that stays. */
function plan(graphs: readonly GraphInScope[]): { moves: Move[]; staying: Set<string> } {
  const moves: Move[] = [];
  const staying = new Set<string>();
  for (const at of graphs) {
    const { graph, scope } = at;
    const main = scope.length === 0;
    const pinned = new Set([...(graph.output ?? []), ...(main ? [] : (graph.input ?? []))].map((v) => v.name ?? ''));
    for (const v of graph.input ?? []) staying.add(v.name ?? '');
    for (const t of graph.sparseInitializer ?? []) staying.add(t.values?.name ?? '');
    for (const t of graph.initializer ?? []) {
      if (main || pinned.has(t.name ?? '') || !isFloatType(t.dataType ?? 0)) staying.add(t.name ?? '');
      else moves.push({ at, tensor: t });
    }
    for (const node of graph.node ?? []) {
      const tensor = isConstantNode(node) ? constantValue(node).floatTensor : undefined;
      if (tensor && !pinned.has(tensor.name ?? '')) moves.push({ at, tensor, node });
      else for (const o of node.output ?? []) staying.add(o);
    }
  }
  return { moves, staying };
}

function inputEntry(t: TensorProto): ValueInfoProto {
  return {
    name: t.name,
    type: { tensorType: { elemType: t.dataType, shape: { dim: dimsOf(t).map((d) => ({ dimValue: d })) } } },
  };
}

/** Move every float weight into the main graph's initializers (see the file comment). */
export function hoistWeights(model: OnnxModel): HoistReport {
  const root = model.proto.graph ?? {};
  const graphs = graphsOf(root);
  checkConstants(model, graphs);
  const { moves, staying } = plan(graphs);
  if (moves.length === 0) return { constants: 0, fromSubgraphs: 0, renamed: [] };

  const claimed = new Set<string>();
  const renamed: { from: string; to: string; scope: string }[] = [];
  const hoisted: TensorProto[] = [];
  const gone = new Set<unknown>(); // the Constant nodes and body initializers moved, removed in one pass per graph
  for (const { at, tensor, node } of moves) {
    const { graph, scope } = at;
    const from = tensor.name ?? '';
    let name = from;
    if (scope.length > 0 && (staying.has(from) || claimed.has(from))) {
      name = model.uniqueName(from);
      renameReads(graph, from, name);
      renamed.push({ from, to: name, scope: scope.join(' > ') });
    }
    claimed.add(name);
    gone.add(node ?? tensor);
    // A body's value_info for a name it now reads from the outer scope would describe nothing of its own.
    if (scope.length > 0 && graph.valueInfo) graph.valueInfo = graph.valueInfo.filter((v) => v.name !== from);
    hoisted.push(name === tensor.name ? tensor : { ...tensor, name });
  }
  for (const { graph } of graphs) {
    if (graph.node?.some((n) => gone.has(n))) graph.node = graph.node.filter((n) => !gone.has(n));
    if (graph.initializer?.some((t) => gone.has(t))) graph.initializer = graph.initializer.filter((t) => !gone.has(t));
  }
  root.initializer = [...(root.initializer ?? []), ...hoisted];
  if (Number(model.proto.irVersion ?? 0) < 4) {
    const listed = new Set((root.input ?? []).map((v) => v.name));
    root.input = [...(root.input ?? []), ...hoisted.filter((t) => !listed.has(t.name)).map(inputEntry)];
  }
  return {
    constants: moves.filter((m) => m.at.scope.length === 0).length,
    fromSubgraphs: moves.filter((m) => m.at.scope.length > 0).length,
    renamed,
  };
}
