/**
 * The graph walk every check shares: a node's subgraphs (If branches, Loop/Scan bodies), and the
 * names a subgraph reads from the scopes around it.
 */
import type { onnx } from '../proto.js';

export interface Subgraph {
  readonly graph: onnx.IGraphProto;
  /** the attribute holding it: `then_branch`, `body`, `graphs[1]` */
  readonly attribute: string;
}

export function subgraphsOf(node: onnx.INodeProto): Subgraph[] {
  const out: Subgraph[] = [];
  for (const a of node.attribute ?? []) {
    if (a.g) out.push({ graph: a.g, attribute: a.name ?? '' });
    (a.graphs ?? []).forEach((graph, i) => out.push({ graph, attribute: `${a.name ?? ''}[${i}]` }));
  }
  return out;
}

/** Names a graph defines itself: its inputs, initializers (dense and sparse) and node outputs. */
export function ownNames(g: onnx.IGraphProto): Set<string> {
  const names = new Set<string>();
  for (const v of g.input ?? []) names.add(v.name ?? '');
  for (const t of g.initializer ?? []) names.add(t.name ?? '');
  for (const s of g.sparseInitializer ?? []) names.add(s.values?.name ?? '');
  for (const n of g.node ?? []) for (const o of n.output ?? []) names.add(o);
  names.delete('');
  return names;
}

/**
 * Names that nodes of `g` (and of its own subgraphs) read but `g` does not define: what it takes
 * from the enclosing scopes. A node holding `g` depends on the producers of these, like on inputs.
 */
export function outerReads(g: onnx.IGraphProto): Set<string> {
  const own = ownNames(g);
  const reads = new Set<string>();
  for (const n of g.node ?? []) {
    for (const i of n.input ?? []) if (i && !own.has(i)) reads.add(i);
    for (const s of subgraphsOf(n)) for (const r of outerReads(s.graph)) if (!own.has(r)) reads.add(r);
  }
  for (const o of g.output ?? []) if (o.name && !own.has(o.name)) reads.add(o.name);
  return reads;
}

/** What node `n` reads from its graph: its inputs and whatever its subgraphs take from outside. */
export function nodeReads(n: onnx.INodeProto): string[] {
  const reads = (n.input ?? []).filter((i) => i !== '');
  for (const s of subgraphsOf(n)) reads.push(...outerReads(s.graph));
  return reads;
}
