/**
 * Names and order, graph by graph (subgraphs see the names of the graphs around them):
 * every value defined once, every node input defined, nodes in topological order (or at least
 * sortable), node names unique, every graph output defined.
 *
 * An initializer that is also a graph input is legal at every IR version (it is the input's default;
 * IR < 4 exports list every initializer so), so that pair is not a duplicate.
 */
import type { onnx } from '../proto.js';
import { CHECKS, nodeLabel, type ValidationIssue } from './issues.js';
import { subgraphsOf } from './subgraphs.js';
import { topologicalOrder } from './topo-sort.js';

/** What an enclosing graph offers a subgraph: names defined so far, and all names it defines. */
interface Level {
  readonly available: ReadonlySet<string>;
  readonly all: ReadonlySet<string>;
}

export function checkScopes(
  graph: onnx.IGraphProto,
  path: string,
  report: (i: ValidationIssue) => void,
  outer: readonly Level[] = [],
): void {
  const nodes = graph.node ?? [];
  const at = (message: string, check: ValidationIssue['check'], extra: Partial<ValidationIssue> = {}) =>
    report({ check, message, graph: path, ...extra });

  // Definitions made before any node runs: graph inputs and initializers.
  const inputs = new Set<string>();
  for (const v of graph.input ?? []) {
    const name = v.name ?? '';
    if (inputs.has(name)) at(`graph input "${name}" is listed twice`, CHECKS.duplicate, { value: name });
    inputs.add(name);
  }
  const initializers = new Set<string>();
  const initNames = [
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
    ...(graph.sparseInitializer ?? []).map((s) => s.values?.name ?? ''),
  ];
  for (const name of initNames) {
    if (initializers.has(name)) at(`initializer "${name}" is defined twice`, CHECKS.duplicate, { value: name });
    initializers.add(name);
  }

  // Every name this graph defines, each producer checked against what came before it.
  const all = new Set<string>([...inputs, ...initializers]);
  const producedBy = new Map<string, string>();
  nodes.forEach((n, index) => {
    for (const o of n.output ?? []) {
      if (o === '') continue;
      const label = nodeLabel(n, index);
      if (producedBy.has(o))
        at(`value "${o}" is produced by two nodes (${producedBy.get(o)} and ${label})`, CHECKS.duplicate, {
          node: label,
          value: o,
        });
      else if (inputs.has(o))
        at(`node output "${o}" has the name of a graph input`, CHECKS.duplicate, { node: label, value: o });
      else if (initializers.has(o))
        at(`node output "${o}" has the name of an initializer`, CHECKS.duplicate, { node: label, value: o });
      else if (outer.some((l) => l.all.has(o)))
        at(`node output "${o}" has the name of a value of an enclosing graph`, CHECKS.duplicate, {
          node: label,
          value: o,
        });
      producedBy.set(o, label);
      all.add(o);
    }
  });
  all.delete('');

  // Walk in order: each input must be available now; if it is defined only later, the order is wrong.
  const available = new Set<string>([...inputs, ...initializers]);
  const names = new Map<string, number>();
  const levels = [...outer, { available, all }];
  let unordered = false;
  nodes.forEach((n, index) => {
    const label = nodeLabel(n, index);
    if (n.name) {
      if (names.has(n.name))
        at(`node name "${n.name}" is used by nodes #${names.get(n.name)} and #${index}`, CHECKS.nodeName, {
          node: label,
        });
      else names.set(n.name, index);
    }
    for (const i of n.input ?? []) {
      if (i === '' || levels.some((l) => l.available.has(i))) continue;
      if (levels.some((l) => l.all.has(i))) {
        unordered = true;
        at(`input "${i}" is read before the node that produces it`, CHECKS.order, { node: label, value: i });
      } else {
        at(
          `input "${i}" is not defined (no graph input, initializer or earlier node output has that name)`,
          CHECKS.undefinedInput,
          { node: label, value: i },
        );
      }
    }
    for (const s of subgraphsOf(n))
      checkScopes(s.graph, `${path}/${n.name || n.opType || index}.${s.attribute}`, report, levels);
    for (const o of n.output ?? []) if (o) available.add(o);
  });

  if (unordered) {
    const sorted = topologicalOrder(nodes);
    if ('cycle' in sorted) {
      const labels = sorted.cycle.slice(0, 3).map((i) => nodeLabel(nodes[i], i));
      at(
        `${sorted.cycle.length} nodes depend on each other in a cycle (${labels.join(', ')}${sorted.cycle.length > 3 ? ', ...' : ''})`,
        CHECKS.cycle,
        { node: labels[0] },
      );
    }
  }

  for (const v of graph.output ?? []) {
    const name = v.name ?? '';
    if (!all.has(name) && !outer.some((l) => l.all.has(name)))
      at(`graph output "${name}" is not defined by any input, initializer or node`, CHECKS.undefinedOutput, {
        value: name,
      });
  }
}
