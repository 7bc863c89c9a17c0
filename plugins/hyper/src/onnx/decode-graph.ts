/**
 * Writes one hyper-encoded weight into a model: its initializers (packed indices, header, table)
 * and a decode that outputs the weight under its own name, so its consumers are untouched.
 *
 * The decode program (decode-body.ts, chosen from the model's opset) is stored once per model as a
 * model-local function in the `mc.hyper` domain, which onnxruntime inlines when it loads the model;
 * each tensor is then one call node. Below IR 8 a model cannot carry functions, so the body's nodes
 * are written once per tensor instead ("inline"), under short value names, reading the body's
 * constants as initializers that every tensor shares (named by their value, SHARED_CONSTANT_PREFIX).
 *
 * Decode modes. `load`: the decode reads initializers only, so onnxruntime's constant folding
 * evaluates it once at session creation and keeps a dense float32 weight. `run`: the packed bytes
 * are also declared as a graph input with a symbolic length (an "overridable initializer");
 * onnxruntime never constant-folds a node that reads a graph input, and the symbolic length keeps
 * Shape(packed) from being folded too, so the unpack runs on every inference and only the packed
 * bytes and the table stay resident.
 *
 * Order: OnnxModel.addNode puts a node before the first reader of its outputs, so the nodes are
 * added consumer-first (the call node alone, or the inline body reversed): each lands before the
 * node that reads it, and the graph stays topologically sorted.
 */
import { DataType, type NodeProto, type OnnxModel } from '@mc-kit/core';
import type { HyperEncodedTensor } from '../codec/index.js';
import { lookupTable } from '../codec/index.js';
import type { DecodeMode, DecodeTablePolicy } from '../options.js';
import {
  constantBytes,
  decodeBody,
  flatten,
  FUNCTION_DOMAIN,
  functionsOf,
  TABLE_INPUTS,
  type DecodeBody,
} from './decode-body.js';
import { compactTables, GUARD_BYTES, headerValues, type DecodeTable } from './decode-tables.js';

export { FUNCTION_DOMAIN };
/** Model-local functions need IR 8. */
export const MIN_IR_FOR_FUNCTIONS = 8;

/** How a model carries the decode program: one shared function, or nodes per tensor. */
export type DecodeForm = 'function' | 'inline';

export function decodeForm(model: OnnxModel): DecodeForm {
  return Number(model.proto.irVersion ?? 0) >= MIN_IR_FOR_FUNCTIONS ? 'function' : 'inline';
}

/** Below IR 4 every initializer must also be listed as a graph input (then it is a constant, not an overridable one). */
export const MIN_IR_FOR_OWN_INITIALIZERS = 4;

/** List an initializer as a graph input of its type and shape (what IR < 4 requires of every initializer). */
export function declareInput(model: OnnxModel, name: string, dataType: DataType, dims: readonly number[]): void {
  model.inputs.push({
    name,
    type: { tensorType: { elemType: dataType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
}

/** What was written for one tensor. */
export interface WrittenTensor {
  readonly table: DecodeTable;
  /** the decode's initializer inputs, in the body's order: packed, header, then the table's */
  readonly inputs: string[];
  /** stored bytes of this tensor: packed + guard, header, tables */
  readonly bytes: number;
  /** bytes of the decode's constants this call added (a new function, or new shared initializers inline) */
  readonly sharedBytes: number;
}

/** The body a tensor of this model needs. */
export function bodyFor(model: OnnxModel, enc: HyperEncodedTensor, table: DecodeTable): DecodeBody {
  return decodeBody({ table: enc.K === 0 ? 'exact' : table, opset: model.opset('') ?? 0, odd: enc.pad === 1 });
}

/** What the decode program itself stores, for bits per weight and the --target-bpw planner. */
export interface DecodeCosts {
  readonly form: DecodeForm;
  /** an upper bound on the bytes stored once per model: the decode's constants */
  readonly shared: number;
}

/** The decode program's costs in `model`, for tensors whose tables follow `policy`. */
export function decodeCosts(model: OnnxModel, policy: DecodeTablePolicy): DecodeCosts {
  const opset = model.opset('') ?? 0;
  const bodies = (table: DecodeTable) => [false, true].map((odd) => decodeBody({ table, opset, odd }));
  const tables: DecodeTable[] = policy === 'exact' ? ['exact'] : ['exact', 'compact']; // K = 0 is always exact
  const all = tables.flatMap(bodies);
  if (decodeForm(model) === 'function') return { form: 'function', shared: constantBytes(all) };
  // inline: each distinct constant value once (shared initializers)
  const distinct = new Map<string, number>();
  for (const n of all.flatMap((b) => flatten(b))) {
    if (n.opType !== 'Constant') continue;
    const t = n.attribute![0].t!;
    const raw = t.rawData as Uint8Array;
    distinct.set(`${(t.dims ?? []).join('x')}:${fnv1a(raw)}`, raw.length);
  }
  return { form: 'inline', shared: [...distinct.values()].reduce((a, b) => a + b, 0) };
}

/** Adds the body and the bodies it calls as model-local functions, where missing; returns the bytes added. */
function ensureFunctions(model: OnnxModel, body: DecodeBody): number {
  const functions = (model.proto.functions ??= []);
  if (model.opset(FUNCTION_DOMAIN) === undefined) model.setOpset(FUNCTION_DOMAIN, 1);
  let added = 0;
  for (const f of functionsOf(body)) {
    if (functions.some((g) => g.domain === FUNCTION_DOMAIN && g.name === f.name)) continue;
    functions.push({
      name: f.name,
      domain: FUNCTION_DOMAIN,
      input: [...f.inputs],
      output: [f.output],
      node: f.nodes.map((n) => ({ ...n })),
      opsetImport: [
        { domain: '', version: model.opset('') ?? 0 },
        ...(f.calls.length ? [{ domain: FUNCTION_DOMAIN, version: 1 }] : []),
      ],
    });
    added += f.constantBytes;
  }
  return added;
}

/** Prefix of the decode constants an inline decode reads, shared by every tensor of the model. */
export const SHARED_CONSTANT_PREFIX = 'mc.hyper.';

/** FNV-1a over the bytes: a short, stable name for a constant's value. */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/**
 * A Constant node's value as a model initializer named by its content, shared by every inline
 * decode that needs it; returns its name and the bytes it added (0 when it was there).
 */
function sharedConstant(model: OnnxModel, node: NodeProto): { name: string; added: number } {
  const t = node.attribute![0].t!;
  const raw = t.rawData as Uint8Array;
  const dims = (t.dims ?? []).map(Number);
  const base = `${SHARED_CONSTANT_PREFIX}${dims.join('x') || 'scalar'}.${fnv1a(raw)}`;
  const same = (n: string) => {
    const init = model.getInitializer(n);
    if (!init) return undefined;
    const got = init.readRaw();
    return (
      init.dataType === t.dataType &&
      init.dims.join() === dims.join() &&
      got.length === raw.length &&
      got.every((b, i) => b === raw[i])
    );
  };
  if (same(base)) return { name: base, added: 0 };
  const name = same(base) === undefined ? base : model.uniqueName(base);
  model.setInitializer(name, t.dataType!, dims, raw);
  if (Number(model.proto.irVersion ?? 0) < MIN_IR_FOR_OWN_INITIALIZERS) declareInput(model, name, t.dataType!, dims);
  return { name, added: raw.length };
}

/**
 * The body's nodes for one tensor: formal inputs bound to its initializers, the output to its
 * name, constants to shared initializers, other values and nodes to short names under one prefix.
 */
function inlineNodes(
  model: OnnxModel,
  name: string,
  body: DecodeBody,
  inputs: readonly string[],
): { nodes: NodeProto[]; sharedBytes: number } {
  const bound = new Map<string, string>(body.inputs.map((formal, i) => [formal, inputs[i]]));
  bound.set(body.output, name);
  const prefix = model.uniqueName('hyper');
  let sharedBytes = 0;
  let k = 0;
  const global = (local: string) => {
    let g = bound.get(local);
    if (g === undefined) bound.set(local, (g = model.uniqueName(`${prefix}.${k++}`)));
    return g;
  };
  const nodes: NodeProto[] = [];
  for (const n of flatten(body)) {
    if (n.opType === 'Constant') {
      const c = sharedConstant(model, n);
      bound.set(n.output![0], c.name);
      sharedBytes += c.added;
      continue;
    }
    nodes.push({
      ...n,
      name: model.uniqueName(`${prefix}/${nodes.length}`),
      domain: '',
      input: (n.input ?? []).map(global),
      output: (n.output ?? []).map(global),
    });
  }
  return { nodes, sharedBytes };
}

/** Replace float initializer `name` (shape `dims`) by its packed indices, header, table and decode. */
export function writeDecodeGraph(
  model: OnnxModel,
  name: string,
  dims: readonly number[],
  enc: HyperEncodedTensor,
  mode: DecodeMode,
  wanted: DecodeTable = 'exact',
): WrittenTensor {
  const table: DecodeTable = enc.K === 0 ? 'exact' : wanted;
  const body = bodyFor(model, enc, table);
  const names = ['packed', 'header', ...TABLE_INPUTS[table]].map((role) => model.uniqueName(`${name}.hyper.${role}`));
  const [packed, header] = names;
  const withGuard = new Uint8Array(enc.bytes.length + GUARD_BYTES);
  withGuard.set(enc.bytes);

  model.removeInitializer(name);
  const h = headerValues(enc, dims);
  const set = (n: string, dataType: DataType, d: number[], data: ArrayBufferView) => {
    model.setInitializer(n, dataType, d, data);
    if (Number(model.proto.irVersion ?? 0) < MIN_IR_FOR_OWN_INITIALIZERS) declareInput(model, n, dataType, d);
  };
  set(packed, DataType.UINT8, [withGuard.length], withGuard);
  set(
    header,
    DataType.INT64,
    [h.length],
    BigInt64Array.from(h, (v) => BigInt(v)),
  );
  if (table === 'exact') {
    set(names[2], DataType.FLOAT, [(enc.n + 1) * (enc.K + 1), 2], lookupTable(enc));
  } else {
    const t = compactTables(enc);
    set(names[2], DataType.FLOAT, [enc.n + 1, 2], t.T);
    set(names[3], DataType.FLOAT, [enc.K + 1, 1], t.S);
    set(names[4], DataType.FLOAT, [2], t.c);
  }

  let sharedBytes: number;
  if (decodeForm(model) === 'function') {
    sharedBytes = ensureFunctions(model, body);
    model.addNode({
      name: model.uniqueName(`${name}.hyper`),
      opType: body.name,
      domain: FUNCTION_DOMAIN,
      input: names,
      output: [name],
    });
  } else {
    const inline = inlineNodes(model, name, body, names);
    for (const node of inline.nodes.reverse()) model.addNode(node);
    sharedBytes = inline.sharedBytes;
  }

  if (mode === 'run') {
    // An initializer listed as a graph input is overridable, hence never constant-folded (IR >= 4).
    model.inputs.push({
      name: packed,
      type: { tensorType: { elemType: DataType.UINT8, shape: { dim: [{ dimParam: `${packed}.length` }] } } },
    });
  }
  const bytes = names.reduce((s, n) => s + (model.getInitializer(n)?.byteLength ?? 0), 0);
  return { table, inputs: names, bytes, sharedBytes };
}
