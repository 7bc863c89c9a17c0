/**
 * Names in a graph: which tensor/node names are taken (for uniqueName), who reads a tensor
 * (consumers), and whether a node reads some tensors (for addNode's placement).
 *
 * A compressor asks for a few fresh names per weight, on graphs of tens of thousands of nodes, so
 * the taken-name set is cached. The cache is kept current by edits made through OnnxModel (they
 * call edit()), and rebuilt when the graph's list lengths show it changed some other way. Names
 * handed out are remembered, so two calls never return the same name even before either is used.
 */
import type { Consumer } from './model-types.js';
import type { onnx } from './proto.js';

export class NameCache {
  private cache?: { key: string; taken: Set<string> };
  private readonly handedOut = new Set<string>();

  /** A name not taken in `graph` and not handed out before: `base`, else `base_1`, `base_2`, ... */
  unique(graph: onnx.IGraphProto, base: string): string {
    const taken = this.taken(graph);
    let name = base;
    for (let i = 1; taken.has(name) || name === ''; i++) name = `${base}_${i}`;
    taken.add(name);
    this.handedOut.add(name);
    return name;
  }

  /** Run an edit of `graph` that introduces `names`, keeping the cache valid without a rebuild. */
  edit<T>(graph: onnx.IGraphProto, apply: () => T, names: Iterable<string>): T {
    const valid = this.cache !== undefined && this.cache.key === keyOf(graph);
    const result = apply();
    if (this.cache && valid) {
      for (const n of names) if (n) this.cache.taken.add(n);
      this.cache.key = keyOf(graph);
    } else {
      this.cache = undefined;
    }
    return result;
  }

  private taken(graph: onnx.IGraphProto): Set<string> {
    const key = keyOf(graph);
    if (this.cache?.key !== key) {
      const taken = new Set(this.handedOut);
      collectNames(graph, taken);
      this.cache = { key, taken };
    }
    return this.cache.taken;
  }
}

/** Cheap fingerprint: list lengths change with nearly every structural edit. */
function keyOf(g: onnx.IGraphProto): string {
  return [g.node, g.initializer, g.input, g.output, g.valueInfo, g.sparseInitializer]
    .map((a) => a?.length ?? 0)
    .join('/');
}

/** Every value and node name in a graph and its subgraphs. */
export function collectNames(g: onnx.IGraphProto, into: Set<string>): void {
  for (const t of g.initializer ?? []) into.add(t.name ?? '');
  for (const t of g.sparseInitializer ?? []) into.add(t.values?.name ?? '');
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) into.add(v.name ?? '');
  for (const n of g.node ?? []) {
    if (n.name) into.add(n.name);
    for (const s of n.input ?? []) into.add(s);
    for (const s of n.output ?? []) into.add(s);
    for (const a of n.attribute ?? []) {
      if (a.g) collectNames(a.g, into);
      for (const sg of a.graphs ?? []) collectNames(sg, into);
    }
  }
  into.delete('');
}

/** Whether `node` (or a node in one of its subgraphs) reads any of `names`. */
export function readsAny(node: onnx.INodeProto, names: ReadonlySet<string>): boolean {
  if ((node.input ?? []).some((i) => names.has(i))) return true;
  return (node.attribute ?? []).some(
    (a) =>
      (a.g?.node ?? []).some((n) => readsAny(n, names)) ||
      (a.graphs ?? []).some((g) => (g.node ?? []).some((n) => readsAny(n, names))),
  );
}

/**
 * Nodes that read `name`, with the input slot, including nodes in subgraphs (If/Loop bodies) that
 * read it from the outer scope. A scan, not a cached index: callers rewire `node.input[i]` in place.
 */
export function findConsumers(nodes: readonly onnx.INodeProto[], name: string): Consumer[] {
  const out: Consumer[] = [];
  for (const node of nodes) {
    (node.input ?? []).forEach((input, inputIndex) => {
      if (input === name) out.push({ node, inputIndex });
    });
    for (const a of node.attribute ?? []) {
      if (a.g) out.push(...findConsumers(a.g.node ?? [], name));
      for (const g of a.graphs ?? []) out.push(...findConsumers(g.node ?? [], name));
    }
  }
  return out;
}
