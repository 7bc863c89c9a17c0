/**
 * The model validator: structural checks on a ModelProto that onnxruntime (or onnx's checker, or a
 * stricter runtime) would otherwise refuse, each failure named by its check (issues.ts).
 *
 *   validateModel(proto)            every issue, in graph order
 *   assertValidInput(proto, label)  a user's model: UserError E_INVALID_MODEL, one line
 *   assertValidOutput(proto, what)  a model mc is about to write: BugError naming the check
 *   prepareForSave(proto)           stable topological sort + IR version raised to what the model needs
 *
 * The input is held to what makes a model unusable; two things are repaired instead of refused,
 * because mc can fix them on save without changing what the model computes: nodes out of
 * topological order (onnxruntime sorts them too) and an IR version older than the opset needs.
 */
import { BugError, ErrorCodes, UserError } from '../../errors.js';
import type { onnx } from '../proto.js';
import { checkAttributes } from './attributes.js';
import { CHECKS, formatIssue, MAIN_GRAPH, nodeLabel, type CheckName, type ValidationIssue } from './issues.js';
import { checkScopes } from './scope.js';
import { subgraphsOf } from './subgraphs.js';
import { checkTensor, checkType, dimValue } from './tensors.js';
import { sortGraph } from './topo-sort.js';
import { asNumber, checkVersions, requiredIrVersion } from './versions.js';

export { CHECKS, formatIssue, type CheckName, type ValidationIssue } from './issues.js';
export { sortGraph, topologicalOrder } from './topo-sort.js';
export { requiredIrVersion } from './versions.js';

export function validateModel(model: onnx.IModelProto): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const report = (i: ValidationIssue) => issues.push(i);
  const graph = model.graph ?? {};
  // Dims first: every other check may compute with them.
  checkValues(graph, MAIN_GRAPH, report);
  checkScopes(graph, MAIN_GRAPH, report);
  checkVersions(model, report);
  return issues;
}

/** Tensors, shapes and attributes of a graph and its subgraphs. */
function checkValues(g: onnx.IGraphProto, path: string, report: (i: ValidationIssue) => void): void {
  for (const t of g.initializer ?? []) checkTensor(t, { graph: path, role: 'initializer' }, report);
  for (const s of g.sparseInitializer ?? []) {
    const name = s.values?.name ?? '';
    for (const d of s.dims ?? []) {
      const v = dimValue(d);
      if (typeof v === 'string' || v < 0)
        report({
          check: CHECKS.dims,
          message: `sparse initializer "${name}" has dimension ${typeof v === 'string' ? v : `${v} (negative)`}`,
          graph: path,
          value: name,
        });
    }
    if (s.values) checkTensor(s.values, { graph: path, role: 'sparse initializer values' }, report);
    if (s.indices) checkTensor(s.indices, { graph: path, role: `sparse initializer indices of "${name}"` }, report);
  }
  for (const [role, list] of [
    ['graph input', g.input],
    ['graph output', g.output],
    ['value_info', g.valueInfo],
  ] as const) {
    for (const v of list ?? []) checkType(v.type, { name: v.name ?? '', role }, path, report);
  }
  (g.node ?? []).forEach((n, index) => {
    const label = nodeLabel(n, index);
    checkAttributes(n, label, path, report);
    for (const a of n.attribute ?? []) {
      const role = `${n.opType ?? ''} attribute ${a.name ?? ''}`;
      if (a.t) checkTensor(a.t, { graph: path, node: label, role }, report);
      for (const t of a.tensors ?? []) checkTensor(t, { graph: path, node: label, role }, report);
      for (const s of [a.sparseTensor, ...(a.sparseTensors ?? [])]) {
        if (s?.values) checkTensor(s.values, { graph: path, node: label, role: `${role} (sparse values)` }, report);
        if (s?.indices) checkTensor(s.indices, { graph: path, node: label, role: `${role} (sparse indices)` }, report);
      }
      for (const tp of [a.tp, ...(a.typeProtos ?? [])])
        checkType(tp, { name: a.name ?? '', role: `${n.opType ?? ''} attribute` }, path, report);
    }
    for (const s of subgraphsOf(n))
      checkValues(s.graph, `${path}/${n.name || n.opType || index}.${s.attribute}`, report);
  });
}

/** Checks an input may fail and still be taken: save() repairs them (prepareForSave). */
const REPAIRED_ON_SAVE: ReadonlySet<CheckName> = new Set([CHECKS.order, CHECKS.irVersion]);

/** One line for a list of issues: the first in full, and how many more. */
export function summarizeIssues(issues: readonly ValidationIssue[]): string {
  const more = issues.length - 1;
  return `${formatIssue(issues[0])}${more > 0 ? `; and ${more} more issue${more > 1 ? 's' : ''}` : ''}`;
}

/** Refuse a model the user gave, with one line naming the first failed check. */
export function assertValidInput(model: onnx.IModelProto, label: string): void {
  const issues = validateModel(model).filter((i) => !REPAIRED_ON_SAVE.has(i.check));
  if (issues.length === 0) return;
  throw new UserError(ErrorCodes.INVALID_MODEL, `${label} is not a valid ONNX model: ${summarizeIssues(issues)}`, {
    hint: 'onnx.checker and onnxruntime refuse it too; export the model again, or fix the named value',
  });
}

/** A model mc built must pass every check: a failure is mc's (or a plugin's) bug. */
export function assertValidOutput(model: onnx.IModelProto, what = 'the output model'): void {
  const issues = validateModel(model);
  if (issues.length === 0) return;
  throw new BugError(`${what} failed validation, so it was not written: ${summarizeIssues(issues)}`);
}

/**
 * Make a model ready to write: nodes (and subgraph nodes) in a stable topological order, and the IR
 * version raised to what its opset and data types need. A cycle is left for the validator to name.
 */
export function prepareForSave(model: onnx.IModelProto): void {
  if (model.graph) sortGraph(model.graph);
  const need = requiredIrVersion(model);
  if (asNumber(model.irVersion) < need.ir) model.irVersion = need.ir;
}
