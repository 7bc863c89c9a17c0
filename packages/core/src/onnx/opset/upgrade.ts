/**
 * Raising a model's default-domain opset, node by node: every crossing of an op's schema between
 * the two opsets (versions.ts) runs its adapter (adapters/index.ts), subgraphs included, and the
 * opset and IR version are written last. Other domains (com.microsoft, ai.onnx.ml) version on
 * their own and are left alone.
 *
 * `planUpgrade` only reads the graph and names what stands in the way for certain (an op mc does
 * not know, a crossing that is always refused); `upgradeOpset` edits in place and may still refuse
 * a node on what it holds (a Resize that samples up and down at once). Neither runs the model:
 * verify.ts compares outputs before and after.
 */
import { BugError, ErrorCodes, UserError } from '../../errors.js';
import type { DataType } from '../dtypes.js';
import { collectNames } from '../graph-names.js';
import { TensorInitializer } from '../initializer.js';
import type { NodeProto, OnnxModel } from '../model.js';
import { toNumber, type onnx } from '../proto.js';
import { refusal, type AdaptContext } from './adapt-context.js';
import { ADAPTERS, DEPRECATED } from './adapters/index.js';
import { attribute } from './attributes.js';
import { TensorFacts } from './tensor-facts.js';
import { isKnownOp, MAX_OPSET, minIrVersion, MIN_OPSET, OP_VERSIONS } from './versions.js';

/** Crossings refused whatever the node holds (listed by planUpgrade before any work). */
const ALWAYS_REFUSED = new Set(['GroupNormalization@21']);

export interface Blocker {
  readonly op: string;
  readonly reason: string;
}

export interface UpgradeReport {
  readonly from: number;
  readonly to: number;
  readonly irFrom: number;
  readonly irTo: number;
  /** Crossings whose adapter rewrote nodes, with how many. */
  readonly adapted: { readonly op: string; readonly opset: number; readonly nodes: number }[];
  /** The nodes an adapter rewrote (main graph), each with the outputs the model had for it. */
  readonly touched: { readonly op: string; readonly node: string; readonly outputs: readonly string[] }[];
}

const isDefaultDomain = (n: NodeProto) => (n.domain ?? '') === '' || n.domain === 'ai.onnx';

/** Every node of a graph and of its subgraphs. */
function* allNodes(g: onnx.IGraphProto): Generator<NodeProto> {
  for (const n of g.node ?? []) {
    yield n;
    for (const a of n.attribute ?? []) {
      if (a.g) yield* allNodes(a.g);
      for (const sub of a.graphs ?? []) yield* allNodes(sub);
    }
  }
}

/**
 * The opsets mc reads and writes: below 9 predates the adapters' table, above 26 onnxruntime-node
 * 1.30 refuses to load. `what` names the number in the message ("--opset", "the model's opset").
 */
export function checkOpsetRange(opset: number, what: string, code: string = ErrorCodes.UNSUPPORTED): void {
  if (opset >= MIN_OPSET && opset <= MAX_OPSET) return;
  throw new UserError(
    code,
    `${what} ${opset} is outside what mc works with: default-domain opsets ${MIN_OPSET} to ${MAX_OPSET} (${MAX_OPSET} is the newest onnxruntime-node 1.30 runs)`,
    {
      hint:
        opset < MIN_OPSET
          ? `re-export the model at opset ${MIN_OPSET} or later, e.g. torch.onnx.export(..., opset_version=17)`
          : `use an opset from ${MIN_OPSET} to ${MAX_OPSET}`,
    },
  );
}

/** What stands in the way of moving `model` to opset `to`, found from the graph alone. */
export function planUpgrade(model: OnnxModel, to: number): Blocker[] {
  const from = model.opset('') ?? 1;
  const blockers = new Map<string, string>();
  if ((model.proto.functions ?? []).length > 0)
    blockers.set('(model-local functions)', 'mc does not convert model-local functions');
  for (const node of allNodes(model.proto.graph ?? {})) {
    if (!isDefaultDomain(node)) continue;
    const op = node.opType ?? '';
    if (!isKnownOp(op)) blockers.set(op, 'not an operator of the default ONNX domain that mc knows');
    for (const v of OP_VERSIONS[op] ?? []) {
      if (v > from && v <= to && ALWAYS_REFUSED.has(`${op}@${v}`))
        blockers.set(op, `its meaning changed at opset ${v} and mc has no adapter for that`);
    }
  }
  return [...blockers].map(([op, reason]) => ({ op, reason })).sort((a, b) => a.op.localeCompare(b.op));
}

/** The next crossing of the node's op after opset `at` (deprecated ops are replaced first). */
function nextCrossing(op: string, at: number, to: number): number | undefined {
  const deprecated = DEPRECATED[op];
  if (deprecated !== undefined && deprecated <= at) return deprecated;
  return (OP_VERSIONS[op] ?? []).find((v) => v > at && v <= to);
}

/** Move the model's default domain to opset `to`, in place. Throws E_UNSUPPORTED naming what cannot move. */
export function upgradeOpset(model: OnnxModel, to: number): UpgradeReport {
  const from = model.opset('') ?? 1;
  checkOpsetRange(from, "the model's opset");
  checkOpsetRange(to, 'the target opset', ErrorCodes.BAD_PARAM);
  if (to < from) {
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `the model is at opset ${from}, above the target ${to}; mc converts to newer opsets only`,
      { hint: `choose --opset ${from} to ${MAX_OPSET}` },
    );
  }
  const blockers = planUpgrade(model, to);
  if (blockers.length > 0) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `cannot move the model from opset ${from} to opset ${to}: ${blockers.map((b) => `${b.op} (${b.reason})`).join('; ')}`,
      {
        hint: `re-export the model at opset ${to} from its framework, or keep it at opset ${from}`,
      },
    );
  }
  const graph = (model.proto.graph ??= {});
  const facts = new TensorFacts(graph);
  const names = new Set<string>();
  collectNames(graph, names);
  const used = new Set<string>();
  for (const n of allNodes(graph)) for (const i of n.input ?? []) used.add(i);
  const markOutputs = (g: onnx.IGraphProto) => {
    for (const o of g.output ?? []) used.add(o.name ?? '');
    for (const n of g.node ?? [])
      for (const a of n.attribute ?? []) [a.g, ...(a.graphs ?? [])].forEach((sub) => sub && markOutputs(sub));
  };
  markOutputs(graph);
  const valueInfoOwners: onnx.IGraphProto[] = [];
  const fresh = (base: string) => {
    let name = base;
    for (let k = 1; names.has(name) || name === ''; k++) name = `${base}_${k}`;
    names.add(name);
    return name;
  };
  const counts = new Map<string, { op: string; opset: number; nodes: number }>();
  const touched: { op: string; node: string; outputs: string[] }[] = [];
  const touchedNodes = new Set<NodeProto>();

  const adaptGraph = (g: onnx.IGraphProto, top: boolean) => {
    valueInfoOwners.push(g);
    const result: NodeProto[] = [];
    for (const node of g.node ?? []) {
      for (const a of node.attribute ?? []) [a.g, ...(a.graphs ?? [])].forEach((sub) => sub && adaptGraph(sub, false));
      if (!isDefaultDomain(node)) {
        result.push(node);
        continue;
      }
      const before: NodeProto[] = [];
      const after: NodeProto[] = [];
      const outputs = [...(node.output ?? [])];
      const firstOp = node.opType ?? '';
      let at = from;
      for (let v = nextCrossing(firstOp, at, to); v !== undefined; v = nextCrossing(node.opType ?? '', at, to)) {
        const op = node.opType ?? '';
        const adapter = ADAPTERS[`${op}@${v}`];
        if (v <= at && !adapter)
          throw new BugError(`opset adapters: ${op} is deprecated at ${v} but has no replacement`);
        at = v;
        if (!adapter) continue;
        const c: AdaptContext = {
          node,
          version: v,
          from,
          to,
          facts,
          constant: (base: string, dataType: DataType, dims: readonly number[], data: ArrayBufferView) => {
            const name = fresh(base);
            model.setInitializer(name, dataType, dims, data);
            return name;
          },
          fresh,
          before: (...nodes) => before.push(...nodes),
          after: (...nodes) => after.unshift(...nodes),
          isUsed: (name) => used.has(name),
          constantFloats: (name) => constantFloats(model, graph, name),
          dropValueInfo: (name) =>
            valueInfoOwners.forEach(
              (owner) => (owner.valueInfo = (owner.valueInfo ?? []).filter((vi) => vi.name !== name)),
            ),
          refuse: (why) => refusal(node, from, to, why),
        };
        const was = snapshot(node);
        adapter(c);
        if (v === DEPRECATED[op] && node.opType === op)
          throw new BugError(`opset adapters: ${op}@${v} did not replace the deprecated op`);
        if (snapshot(node) === was && before.length === 0 && after.length === 0) continue; // nothing to rewrite here
        const key = `${op}@${v}`;
        const count = counts.get(key) ?? { op, opset: v, nodes: 0 };
        count.nodes++;
        counts.set(key, count);
        if (top && !touchedNodes.has(node)) {
          touchedNodes.add(node);
          touched.push({ op: firstOp, node: node.name ?? '', outputs });
        }
      }
      result.push(...before, node, ...after);
    }
    g.node = result;
  };
  adaptGraph(graph, true);

  const irFrom = toNumber(model.proto.irVersion ?? 0);
  const irTo = Math.max(irFrom, minIrVersion(to));
  model.setOpset('', to);
  model.proto.irVersion = irTo;
  return { from, to, irFrom, irTo, adapted: [...counts.values()], touched };
}

const snapshot = (n: NodeProto) => JSON.stringify([n.opType, n.input, n.output, n.attribute]);

/** Values of a top-level initializer or of a Constant node's `value`, as float32. */
function constantFloats(model: OnnxModel, graph: onnx.IGraphProto, name: string): Float32Array | undefined {
  const init = model.getInitializer(name);
  if (init) return init.readFloat32();
  const producer = (graph.node ?? []).find((n) => n.opType === 'Constant' && n.output?.[0] === name);
  const t = producer && attribute(producer, 'value')?.t;
  return t ? new TensorInitializer(t, model.baseDir).readFloat32() : undefined;
}
