/**
 * A stable topological order of a graph's nodes: a node moves only when it reads something a later
 * node produces, and nodes with no such dependency keep their relative order (Kahn's algorithm,
 * always taking the earliest ready node). An already sorted graph comes back unchanged, so sorting
 * on every save costs nothing on a valid graph. A node holding subgraphs depends on the producers
 * of every outer name its subgraphs read.
 */
import type { onnx } from '../proto.js';
import { nodeReads, subgraphsOf } from './subgraphs.js';

export type Order = { readonly order: number[] } | { readonly cycle: number[] };

/** The sorted positions of `nodes`, or the positions of the nodes that no order can place (a cycle, and what hangs on it). */
export function topologicalOrder(nodes: readonly onnx.INodeProto[]): Order {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) if (o && !producer.has(o)) producer.set(o, i);
  });
  const dependents: number[][] = nodes.map(() => []);
  const waiting = new Int32Array(nodes.length);
  nodes.forEach((n, i) => {
    const deps = new Set<number>();
    for (const r of nodeReads(n)) {
      const p = producer.get(r);
      if (p !== undefined) deps.add(p);
    }
    for (const p of deps) dependents[p].push(i);
    waiting[i] = deps.size;
  });
  const ready = new MinHeap();
  waiting.forEach((w, i) => w === 0 && ready.push(i));
  const order: number[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(i);
    for (const d of dependents[i]) if (--waiting[d] === 0) ready.push(d);
  }
  if (order.length === nodes.length) return { order };
  const placed = new Set(order);
  return { cycle: nodes.map((_, i) => i).filter((i) => !placed.has(i)) };
}

/**
 * Sort `graph` and every subgraph in place. Returns how many graphs changed, or the first cycle met
 * (the graph is then left as it was).
 */
export function sortGraph(graph: onnx.IGraphProto): { changed: number } | { cycle: onnx.INodeProto[] } {
  const nodes = graph.node ?? [];
  let changed = 0;
  for (const n of nodes) {
    for (const s of subgraphsOf(n)) {
      const inner = sortGraph(s.graph);
      if ('cycle' in inner) return inner;
      changed += inner.changed;
    }
  }
  const result = topologicalOrder(nodes);
  if ('cycle' in result) return { cycle: result.cycle.map((i) => nodes[i]) };
  if (result.order.some((k, i) => k !== i)) {
    graph.node = result.order.map((k) => nodes[k]);
    changed++;
  }
  return { changed };
}

/** A binary min-heap of node positions. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(v: number): void {
    const a = this.items;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
