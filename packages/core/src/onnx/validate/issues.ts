/**
 * What the model validator reports: one record per failure, naming the check, and where it is
 * (the graph path for subgraphs, the node, the value), so a message can be one readable line.
 */

/** Every check the validator runs; the names appear in messages and in BugError/UserError text. */
export const CHECKS = Object.freeze({
  /** a node reads a value that a later node produces */
  order: 'topological-order',
  /** nodes that depend on each other in a loop: no order can run them */
  cycle: 'cycle',
  /** a value defined more than once: initializer twice, two producers, an output that clashes with an input or initializer */
  duplicate: 'duplicate-definition',
  /** a node input that nothing defines (graph input, initializer, node output, outer scope) */
  undefinedInput: 'undefined-input',
  /** a graph output that nothing defines */
  undefinedOutput: 'undefined-output',
  /** two nodes with the same (non-empty) name */
  nodeName: 'duplicate-node-name',
  /** an attribute whose type is unknown, or whose value field does not match its type */
  attribute: 'attribute-type',
  /** a dimension that is negative (tensors) or past 2^53 */
  dims: 'dims',
  /** tensor data whose size does not match its dims and data type, or of an unknown type */
  tensorData: 'tensor-data',
  /** a node domain with no opset import */
  opsetImport: 'opset-import',
  /** an IR version older than the opsets or data types the model uses need */
  irVersion: 'ir-version',
} as const);

export type CheckName = (typeof CHECKS)[keyof typeof CHECKS];

export interface ValidationIssue {
  readonly check: CheckName;
  /** what is wrong, in words (without the location) */
  readonly message: string;
  /** 'main', or the path to a subgraph: 'main/If_0.then_branch' */
  readonly graph: string;
  readonly node?: string;
  readonly value?: string;
}

/** `[check] message (node N, in subgraph G)` */
export function formatIssue(issue: ValidationIssue): string {
  const where = [
    issue.node !== undefined ? `node ${issue.node}` : '',
    issue.graph !== MAIN_GRAPH ? `in subgraph ${issue.graph}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `[${issue.check}] ${issue.message}${where ? ` (${where})` : ''}`;
}

export const MAIN_GRAPH = 'main';

/** A node as messages name it: its name, else its op type and position. */
export function nodeLabel(node: { name?: string | null; opType?: string | null }, index: number): string {
  return node.name ? `"${node.name}"` : `#${index} (${node.opType || 'no op type'})`;
}
