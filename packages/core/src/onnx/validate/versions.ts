/**
 * Opsets and IR version: every domain a node uses is imported, and the IR version is at least what
 * the default-domain opset and the data types in the model need (onnx's release table: opset 9
 * came with IR 4, 15 with IR 8, 21 with IR 10 and int4, ...).
 */
import { DataType } from '../dtypes.js';
import type { onnx } from '../proto.js';
import { CHECKS, MAIN_GRAPH, nodeLabel, type ValidationIssue } from './issues.js';
import { subgraphsOf } from './subgraphs.js';
import { dimValue } from './tensors.js';

/** [first opset, IR version it came with], from onnx.helper.VERSION_TABLE (onnx 1.4 .. 1.18). */
const IR_FOR_OPSET: readonly (readonly [number, number])[] = [
  [23, 11],
  [21, 10],
  [19, 9],
  [15, 8],
  [12, 7],
  [11, 6],
  [10, 5],
  [9, 4],
  [1, 3],
];
/** Data types that need a newer IR than their opsets may: float8 (IR 9), int4/uint4 (IR 10). */
const IR_FOR_TYPE: Readonly<Partial<Record<number, number>>> = {
  [DataType.FLOAT8E4M3FN]: 9,
  [DataType.FLOAT8E4M3FNUZ]: 9,
  [DataType.FLOAT8E5M2]: 9,
  [DataType.FLOAT8E5M2FNUZ]: 9,
  [DataType.UINT4]: 10,
  [DataType.INT4]: 10,
};

export function normDomain(domain: string | null | undefined): string {
  return !domain || domain === 'ai.onnx' ? '' : domain;
}

/** An int64 field as a number (a Long past 2^53 rounds: good enough to compare versions). */
export function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function')
    return (v as { toNumber(): number }).toNumber();
  return 0;
}

/**
 * The IR version a model needs, and why: its default opset, or a data type it holds.
 *
 * IR 3 is a form of its own, not an out-of-date one, and is not raised for its opset: older PyTorch
 * and Paddle2ONNX export IR 3 at opsets 9-11, onnx.checker and onnxruntime take it, and there every
 * initializer is also a graph input that onnxruntime treats as a constant. From IR 4 such an
 * initializer is an input a caller may override: onnxruntime stops folding it, and hyper's
 * `--decode run` would take the model. Only a data type IR 3 cannot hold raises it.
 */
export function requiredIrVersion(model: onnx.IModelProto): { ir: number; why: string } {
  const opset = (model.opsetImport ?? []).find((o) => normDomain(o.domain) === '');
  const version = asNumber(opset?.version);
  const byOpset = IR_FOR_OPSET.find(([first]) => version >= first);
  let need =
    asNumber(model.irVersion) === 3 ? { ir: 3, why: 'IR 3' } : { ir: byOpset?.[1] ?? 3, why: `opset ${version}` };
  const seen = new Set<number>();
  forEachTypedThing(model.graph, (dt) => seen.add(dt));
  for (const dt of seen) {
    const ir = IR_FOR_TYPE[dt];
    if (ir !== undefined && ir > need.ir) need = { ir, why: `data type ${DataType[dt]}` };
  }
  return need;
}

export function checkVersions(model: onnx.IModelProto, report: (i: ValidationIssue) => void): void {
  for (const o of model.opsetImport ?? []) {
    // an int64 on the wire: a version past 2^53 or negative is no opset (and the former no JS number)
    const v = dimValue(o.version ?? 0);
    if (typeof v === 'string' || v < 0) {
      report({
        check: CHECKS.opsetImport,
        message: `the opset version of domain "${normDomain(o.domain) || 'ai.onnx'}" ${typeof v === 'string' ? `(${v})` : `is ${v}`} is not an opset`,
        graph: MAIN_GRAPH,
      });
    }
  }
  const imported = new Set((model.opsetImport ?? []).map((o) => normDomain(o.domain)));
  const missing = new Map<string, string>();
  const functions = new Set((model.functions ?? []).map((f) => `${normDomain(f.domain)}:${f.name ?? ''}`));
  const visit = (g: onnx.IGraphProto | null | undefined) => {
    (g?.node ?? []).forEach((n, i) => {
      const domain = normDomain(n.domain);
      if (!imported.has(domain) && !missing.has(domain)) missing.set(domain, nodeLabel(n, i));
      for (const s of subgraphsOf(n)) visit(s.graph);
    });
  };
  visit(model.graph);
  for (const [domain, node] of missing) {
    const local = [...functions].some((f) => f.startsWith(`${domain}:`));
    report({
      check: CHECKS.opsetImport,
      message: `domain "${domain || 'ai.onnx'}" is used but has no opset_import${local ? ' (model-local functions need their domain imported too)' : ''}`,
      graph: MAIN_GRAPH,
      node,
    });
  }
  const ir = asNumber(model.irVersion);
  const need = requiredIrVersion(model);
  if (ir < need.ir)
    report({
      check: CHECKS.irVersion,
      message: `IR version ${ir} is older than ${need.why} needs (${need.ir})`,
      graph: MAIN_GRAPH,
    });
}

/** Calls `fn` with the data type of every tensor and tensor-typed value in the graph and its subgraphs. */
function forEachTypedThing(g: onnx.IGraphProto | null | undefined, fn: (dataType: number) => void): void {
  if (!g) return;
  for (const t of g.initializer ?? []) fn(t.dataType ?? 0);
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) {
    const elem = v.type?.tensorType?.elemType;
    if (elem) fn(elem);
  }
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.t) fn(a.t.dataType ?? 0);
      for (const t of a.tensors ?? []) fn(t.dataType ?? 0);
    }
    for (const s of subgraphsOf(n)) forEachTypedThing(s.graph, fn);
  }
}
