/**
 * The inverse of rewrite.ts for `mc decompress`: each weight recorded in `mc.hyper` is checked
 * against the graph (its decode's initializers: types, sizes, the header and the tables against the
 * ones its side info gives, every index within the table), decoded, and put back as a dense float32
 * initializer under its own name; its decode nodes and initializers go, and so do the decode
 * functions and the `mc.hyper` opset import once nothing calls them.
 *
 * A tensor's decode nodes are found from the graph: the node that outputs the weight, and every
 * node it reads from, back to its initializers (one call node, or the inline body, which also reads
 * the constants all inline decodes share). Every value they make and every initializer of theirs
 * must be read only among them, so nothing else of the graph goes with them; shared constants go
 * when nothing reads them any more.
 *
 * The values are always the codec's exact decode (float64, one rounding to float32: the reference
 * decoder). For an exact-table tensor (spec §9.2 A) that is what the graph computed, bit for bit.
 * For a compact-table tensor (§9.2 B) the graph computed (T − c)·S + c in float32, which differs
 * from the exact decode by a few float32 ulps (spec: ≤ 2.4e-7 absolute); decompress returns the
 * exact decode, the better of the two, and says so in its note.
 * Every check runs before the first edit, so a malformed model fails with one line and no output.
 */
import {
  DataType,
  ErrorCodes,
  UserError,
  throwIfAborted,
  type NodeProto,
  type OnnxModel,
  type RunContext,
} from '@mc-kit/core';
import { lookupTable, unpackIndices, type HyperEncodedTensor } from './codec/index.js';
import { bodyName, FUNCTION_DOMAIN } from './onnx/decode-body.js';
import { declareInput, MIN_IR_FOR_OWN_INITIALIZERS, SHARED_CONSTANT_PREFIX } from './onnx/decode-graph.js';
import { compactTables, GUARD_BYTES, headerValues } from './onnx/decode-tables.js';
import { encodedFrom, HYPER_META_KEY, inputRoles, readHyperMeta, type TensorRecord } from './onnx/metadata.js';

const malformed = (what: string): never => {
  throw new UserError(ErrorCodes.BAD_MODEL, `hyper: malformed model: ${what}`, {
    hint: 'the hyper initializers or decode nodes were changed after mc compress --method hyper; compress the dense model again',
  });
};

/** The dense values of one recorded tensor, after checking its initializers. */
export function decodeRecord(model: OnnxModel, r: TensorRecord, inputs: readonly string[]): Float32Array {
  const [packedName, headerName, ...tables] = inputs;
  const packed = model.getInitializer(packedName);
  const enc0 = encodedFrom(r, new Uint8Array(0));
  const payload = (enc0.pairs * r.bits + enc0.nz) / 8;
  if (!packed || packed.dataType !== DataType.UINT8)
    return malformed(`"${r.name}": packed indices ${packedName} missing or not uint8`);
  if (packed.elementCount !== payload + GUARD_BYTES)
    return malformed(`"${r.name}": ${packed.elementCount} packed bytes, expected ${payload + GUARD_BYTES}`);
  const header = model.getInitializer(headerName);
  const want = headerValues(enc0, r.shape).join();
  if (
    !header ||
    header.dataType !== DataType.INT64 ||
    Array.from(header.readTyped() as BigInt64Array).join() !== want
  ) {
    return malformed(`"${r.name}": header ${headerName} is not int64 [${want}]`);
  }
  const rows = (r.n + 1) * (r.K + 1);
  const enc = encodedFrom(r, (packed.readTyped() as Uint8Array).subarray(0, payload));
  const table = lookupTable(enc); // the exact decode of every index (what option A stores)
  if (r.table === 'exact') checkTable(model, r, tables[0], [rows, 2], table, 'lookup table');
  else checkCompact(model, r, enc, tables);
  const idx = unpackIndices(enc.bytes, r.bits, enc.nz, enc.pairs);
  const out = new Float32Array(2 * enc.pairs);
  for (let p = 0; p < enc.pairs; p++) {
    const j = idx[p];
    if (j >= rows) return malformed(`"${r.name}": index ${j} at pair ${p} is outside its ${rows}-row table`);
    out[2 * p] = table[2 * j];
    out[2 * p + 1] = table[2 * j + 1];
  }
  return out.subarray(0, enc.numel);
}

/** A float32 initializer of the given shape whose values are exactly `expected`. */
function checkTable(
  model: OnnxModel,
  r: TensorRecord,
  name: string,
  dims: number[],
  expected: Float32Array,
  what: string,
): void {
  const init = model.getInitializer(name);
  if (!init || init.dataType !== DataType.FLOAT || init.dims.join() !== dims.join())
    return malformed(`"${r.name}": ${what} ${name} missing or not float32 [${dims.join(', ')}]`);
  const got = init.readFloat32();
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(expected[i], got[i]))
      return malformed(`"${r.name}": ${what} entry ${i} differs from the one its side info gives`);
  }
}

/** Option B's codebook, shell scales and centre, each against the side info. */
function checkCompact(model: OnnxModel, r: TensorRecord, enc: HyperEncodedTensor, names: string[]): void {
  const t = compactTables(enc);
  checkTable(model, r, names[0], [r.n + 1, 2], t.T, 'codebook');
  checkTable(model, r, names[1], [r.K + 1, 1], t.S, 'shell scales');
  checkTable(model, r, names[2], [2], t.c, 'centre');
}

/**
 * The decode's initializer inputs: recorded for an inline decode, else those of the call node that
 * outputs the weight, which must call the decode function its table and the opset give.
 */
function decodeInputs(model: OnnxModel, r: TensorRecord, producers: Map<string, NodeProto>): readonly string[] {
  if (r.inputs) return r.inputs;
  const call = producers.get(r.name);
  const numel = r.shape.reduce((a, b) => a * b, 1);
  const want = bodyName({ table: r.table, opset: model.opset('') ?? 0, odd: numel % 2 === 1 });
  if (!call || call.domain !== FUNCTION_DOMAIN || call.opType !== want)
    return malformed(`"${r.name}": no ${FUNCTION_DOMAIN}.${want} call outputs it`);
  const roles = inputRoles(r.table).length;
  if ((call.input ?? []).length !== roles || call.input!.some((i) => i === ''))
    return malformed(`"${r.name}": its decode call needs ${roles} inputs`);
  return call.input!;
}

/**
 * The nodes of a tensor's decode: the producer of its name and everything it reads from, back to
 * the recorded initializers. Refused when they read anything else, or when a value they make is
 * read outside them.
 */
function decodeNodes(
  model: OnnxModel,
  r: TensorRecord,
  inputs: readonly string[],
  producers: Map<string, NodeProto>,
  readers: Map<string, NodeProto[]>,
): Set<NodeProto> {
  const leaves = new Set(inputs);
  const first = producers.get(r.name);
  if (!first) return malformed(`"${r.name}": no node outputs it (its decode is missing)`);
  const nodes = new Set<NodeProto>();
  const stack = [first];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (nodes.has(node)) continue;
    nodes.add(node);
    for (const input of node.input ?? []) {
      if (input === '' || leaves.has(input) || isSharedConstant(model, input)) continue;
      const p = producers.get(input);
      if (!p) return malformed(`"${r.name}": its decode reads "${input}", which is not one of its recorded inputs`);
      stack.push(p);
    }
  }
  for (const input of inputs) {
    if ((readers.get(input) ?? []).some((n) => !nodes.has(n)) || model.outputs.some((o) => o.name === input)) {
      malformed(`"${r.name}": its decode input "${input}" is also read outside the decode`);
    }
  }
  for (const node of nodes) {
    for (const out of node.output ?? []) {
      if (out === r.name || out === '') continue;
      if ((readers.get(out) ?? []).some((n) => !nodes.has(n)) || model.outputs.some((o) => o.name === out)) {
        malformed(`"${r.name}": its decode value "${out}" is also read outside the decode`);
      }
    }
  }
  return nodes;
}

/** Dense weights back in place of every hyper decode; returns the names restored. */
export async function hyperDecompressWeights(model: OnnxModel, ctx: RunContext): Promise<string[]> {
  const meta = readHyperMeta(model.getMetadata(HYPER_META_KEY));
  if (!meta || meta.tensors.length === 0) {
    throw new UserError(
      ErrorCodes.NOT_COMPRESSED,
      `hyper: the model has no ${HYPER_META_KEY} metadata (nothing hyper-encoded to restore)`,
      {
        hint: "mc decompress undoes what mc compress --method hyper wrote; mc inspect shows a model's metadata",
      },
    );
  }
  const task = ctx.progress.start('hyper decompress', meta.tensors.length);
  // phase 1: check and decode everything (no edits), so a bad tensor leaves the model as it was
  const producers = new Map<string, NodeProto>();
  const readers = new Map<string, NodeProto[]>();
  for (const node of model.nodes) {
    for (const out of node.output ?? []) if (out !== '') producers.set(out, node);
    for (const name of namesRead(node)) readers.set(name, [...(readers.get(name) ?? []), node]);
  }
  const dense: Float32Array[] = [];
  const nodes: Set<NodeProto>[] = [];
  const inputs: (readonly string[])[] = [];
  try {
    for (const r of meta.tensors) {
      throwIfAborted(ctx.signal);
      inputs.push(decodeInputs(model, r, producers));
      nodes.push(decodeNodes(model, r, inputs[inputs.length - 1], producers, readers));
      dense.push(decodeRecord(model, r, inputs[inputs.length - 1]));
      task.tick();
    }
  } catch (e) {
    task.fail();
    throw e;
  }
  // phase 2: edit
  meta.tensors.forEach((r, i) => {
    for (const n of nodes[i]) model.removeNode(n);
    for (const init of inputs[i]) model.removeInitializer(init);
    // --decode run listed the packed bytes as a graph input
    model.proto.graph!.input = model.inputs.filter((v) => v.name !== inputs[i][0]);
    model.setInitializer(r.name, DataType.FLOAT, r.shape, dense[i]);
    if (Number(model.proto.irVersion ?? 0) < MIN_IR_FOR_OWN_INITIALIZERS)
      declareInput(model, r.name, DataType.FLOAT, r.shape);
  });
  dropUnusedFunctions(model);
  const read = new Set(model.nodes.flatMap((n) => [...namesRead(n)]));
  for (const name of model.initializerNames())
    if (name.startsWith(SHARED_CONSTANT_PREFIX) && !read.has(name)) model.removeInitializer(name);
  model.setMetadata(HYPER_META_KEY, '');
  const compact = meta.tensors.filter((r) => r.table === 'compact').length;
  task.done(
    `hyper: restored ${meta.tensors.length} dense weights` +
      (compact
        ? ` (${compact} with compact tables: the exact decode, a few float32 ulps from what their float32 graph computed)`
        : ''),
  );
  return meta.tensors.map((r) => r.name);
}

/** A decode constant shared by the inline decodes of a model (decode-graph.ts): an initializer under the reserved prefix. */
function isSharedConstant(model: OnnxModel, name: string): boolean {
  return name.startsWith(SHARED_CONSTANT_PREFIX) && model.getInitializer(name) !== undefined;
}

/** Every name a node reads, its subgraphs' reads from outer scopes included (a superset is harmless here). */
function namesRead(node: NodeProto, into = new Set<string>()): Set<string> {
  for (const i of node.input ?? []) into.add(i);
  for (const a of node.attribute ?? [])
    for (const g of [a.g, ...(a.graphs ?? [])]) for (const n of g?.node ?? []) namesRead(n, into);
  return into;
}

/** The decode functions that nothing calls any more, and the domain's opset import once none is left. */
function dropUnusedFunctions(model: OnnxModel): void {
  const functions = model.proto.functions ?? [];
  const ours = new Map(functions.filter((f) => f.domain === FUNCTION_DOMAIN).map((f) => [f.name ?? '', f]));
  const used = new Set<string>();
  const visit = (nodes: readonly NodeProto[]) => {
    for (const n of nodes) {
      const f = n.domain === FUNCTION_DOMAIN ? ours.get(n.opType ?? '') : undefined;
      if (f && !used.has(f.name ?? '')) {
        used.add(f.name ?? '');
        visit(f.node ?? []);
      }
    }
  };
  visit(model.nodes);
  for (const f of functions) if (f.domain !== FUNCTION_DOMAIN) visit(f.node ?? []);
  model.proto.functions = functions.filter((f) => f.domain !== FUNCTION_DOMAIN || used.has(f.name ?? ''));
  if (used.size === 0)
    model.proto.opsetImport = (model.proto.opsetImport ?? []).filter((o) => o.domain !== FUNCTION_DOMAIN);
}
