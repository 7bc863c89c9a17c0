/**
 * Test-only: the structural rules an ONNX model must keep that onnxruntime does not enforce
 * (onnx.checker and stricter runtimes do), checked on every model a hyper test writes.
 *
 * - topological order: every node input is a graph input, an initializer, an output of an earlier
 *   node, or (in a subgraph) a name of an enclosing scope; the same inside every model-local function,
 *   whose own inputs are its only outer names;
 * - one definition per value: no initializer twice, no node output that another node or an
 *   initializer or a graph input also defines (an initializer may be listed as a graph input too: an
 *   overridable initializer, IR >= 4), no graph input twice; below IR 4 every initializer of the
 *   main graph listed as a graph input;
 * - node names, where given, unique within their graph;
 * - every graph output defined; every node's domain imported, and a node of a model-local
 *   function's domain naming a function that exists;
 * - types consistent: a name's element type is the same wherever it is declared (graph input,
 *   output, value_info, initializer).
 *
 * Core's validator (expectValidModel from @mc-kit/core/testing) now checks every written model for
 * order, single definitions, references, opset imports and IR version; it does not look inside
 * model-local functions, at the IR 3 rule or at element types across declarations, so hyper's tests
 * keep this check beside it.
 */
import type { OnnxModel } from '@mc-kit/core';

type Graph = NonNullable<OnnxModel['proto']['graph']>;
type Node = NonNullable<Graph['node']>[number];

const norm = (domain: string | null | undefined) => (domain === 'ai.onnx' ? '' : (domain ?? ''));

function checkNodes(nodes: readonly Node[], defined: Set<string>, where: string, problems: string[], ctx: Ctx): void {
  const names = new Set<string>();
  const produced = new Set<string>();
  for (const [i, node] of nodes.entries()) {
    const label = `${where} node #${i} ${node.opType ?? '?'}${node.name ? ` "${node.name}"` : ''}`;
    if (node.name) {
      if (names.has(node.name)) problems.push(`${label}: node name used twice`);
      names.add(node.name);
    }
    for (const input of node.input ?? []) {
      if (input !== '' && !defined.has(input)) problems.push(`${label}: reads "${input}" before anything defines it`);
    }
    const domain = norm(node.domain);
    if (!ctx.domains.has(domain)) problems.push(`${label}: domain "${domain}" is not imported`);
    if (ctx.functionDomains.has(domain) && !ctx.functions.has(`${domain}/${node.opType ?? ''}`))
      problems.push(`${label}: no model-local function ${domain}.${node.opType}`);
    for (const a of node.attribute ?? []) {
      for (const g of [a.g, ...(a.graphs ?? [])])
        if (g) checkGraph(g, new Set(defined), `${label} subgraph "${g.name ?? ''}"`, problems, ctx);
    }
    for (const out of node.output ?? []) {
      if (out === '') continue;
      if (produced.has(out) || defined.has(out)) problems.push(`${label}: output "${out}" is defined twice`);
      produced.add(out);
      defined.add(out);
    }
  }
}

function checkGraph(g: Graph, outer: Set<string>, where: string, problems: string[], ctx: Ctx): void {
  const defined = outer;
  const inits = new Set<string>();
  for (const t of g.initializer ?? []) {
    if (inits.has(t.name ?? '')) problems.push(`${where}: initializer "${t.name}" defined twice`);
    inits.add(t.name ?? '');
  }
  const inputs = new Set<string>();
  for (const v of g.input ?? []) {
    if (inputs.has(v.name ?? '')) problems.push(`${where}: graph input "${v.name}" listed twice`);
    inputs.add(v.name ?? '');
  }
  for (const n of [...inits, ...inputs]) defined.add(n);
  if (ctx.ir < 4 && where === 'graph')
    for (const n of inits)
      if (!inputs.has(n))
        problems.push(`${where}: initializer "${n}" is not a graph input (IR ${ctx.ir} < 4 requires it)`);
  // element types: one per name
  const types = new Map<string, number>();
  const declare = (name: string, type: number | null | undefined, what: string) => {
    if (!type) return;
    const seen = types.get(name);
    if (seen !== undefined && seen !== type)
      problems.push(`${where}: "${name}" is element type ${seen} in one place and ${type} as ${what}`);
    types.set(name, type);
  };
  for (const t of g.initializer ?? []) declare(t.name ?? '', t.dataType, 'initializer');
  for (const [what, list] of [
    ['graph input', g.input],
    ['graph output', g.output],
    ['value_info', g.valueInfo],
  ] as const) {
    for (const v of list ?? []) declare(v.name ?? '', v.type?.tensorType?.elemType, what);
  }
  checkNodes(g.node ?? [], defined, where, problems, ctx);
  for (const o of g.output ?? [])
    if (!defined.has(o.name ?? '')) problems.push(`${where}: graph output "${o.name}" is never defined`);
}

interface Ctx {
  readonly ir: number;
  readonly domains: ReadonlySet<string>;
  readonly functionDomains: ReadonlySet<string>;
  readonly functions: ReadonlySet<string>;
}

/** Every structural problem of `model`, in words; [] for a valid model. */
export function graphProblems(model: OnnxModel): string[] {
  const proto = model.proto;
  const problems: string[] = [];
  const fns = proto.functions ?? [];
  const ctx: Ctx = {
    ir: Number(proto.irVersion ?? 0),
    domains: new Set((proto.opsetImport ?? []).map((o) => norm(o.domain))),
    functionDomains: new Set(fns.map((f) => norm(f.domain))),
    functions: new Set(fns.map((f) => `${norm(f.domain)}/${f.name ?? ''}`)),
  };
  if (fns.length > 0 && Number(proto.irVersion ?? 0) < 8)
    problems.push(`model-local functions need IR 8 (the model has IR ${String(proto.irVersion)})`);
  const seen = new Set<string>();
  for (const f of fns) {
    const id = `${norm(f.domain)}/${f.name ?? ''}`;
    if (seen.has(id)) problems.push(`function ${id} defined twice`);
    seen.add(id);
    const fctx: Ctx = { ...ctx, domains: new Set((f.opsetImport ?? []).map((o) => norm(o.domain))) };
    const defined = new Set(f.input ?? []);
    checkNodes(f.node ?? [], defined, `function ${id}`, problems, fctx);
    for (const o of f.output ?? [])
      if (!defined.has(o)) problems.push(`function ${id}: output "${o}" is never defined`);
  }
  if (proto.graph) checkGraph(proto.graph, new Set(), 'graph', problems, ctx);
  return problems;
}
