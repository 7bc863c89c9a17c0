/**
 * The inverse of rewrite.ts for `mc decompress`: each weight recorded in `mc.hyper` is checked
 * against the graph (initializer types and sizes, the tables against the ones its side info gives,
 * every index within the table), decoded, and put back as a dense float32 initializer under its
 * own name; the decode nodes and their constants go.
 *
 * The values are always the codec's exact decode (float64, one rounding to float32: the reference
 * decoder). For an exact-table tensor (spec §9.2 A) that is what the graph computed, bit for bit.
 * For a compact-table tensor (§9.2 B) the graph computed (T − c)·S + c in float32, which differs
 * from the exact decode by a few float32 ulps (spec: ≤ 2.4e-7 absolute); decompress returns the
 * exact decode, the better of the two, and says so in its note.
 * Every check runs before the first edit, so a malformed model fails with one line and no output.
 */
import { DataType, ErrorCodes, UserError, throwIfAborted, type OnnxModel, type RunContext } from '@mc-kit/core';
import { lookupTable, unpackIndices, type HyperEncodedTensor } from './codec/index.js';
import { compactTables, GUARD_BYTES, SHARED } from './onnx/decode-graph.js';
import { encodedFrom, HYPER_META_KEY, readHyperMeta, type TensorRecord } from './onnx/metadata.js';

const malformed = (what: string): never => {
  throw new UserError(ErrorCodes.BAD_MODEL, `hyper: malformed model: ${what}`, {
    hint: 'the hyper initializers or decode nodes were changed after mc compress --method hyper; compress the dense model again',
  });
};

/** The dense values of one recorded tensor, after checking its initializers. */
export function decodeRecord(model: OnnxModel, r: TensorRecord): Float32Array {
  const packed = model.getInitializer(r.packed);
  const P = Math.ceil(r.numel / 2);
  const payload = (P * r.bits + r.nz) / 8;
  if (!packed || packed.dataType !== DataType.UINT8) return malformed(`"${r.name}": packed indices ${r.packed} missing or not uint8`);
  if (packed.elementCount !== payload + GUARD_BYTES) return malformed(`"${r.name}": ${packed.elementCount} packed bytes, expected ${payload + GUARD_BYTES}`);
  const rows = (r.n + 1) * (r.K + 1);
  const enc = encodedFrom(r, (packed.readTyped() as Uint8Array).subarray(0, payload));
  const table = lookupTable(enc); // the exact decode of every index (what option A stores)
  if ((r.table ?? 'exact') === 'exact') checkTable(model, r, r.lut, [rows, 2], table, 'lookup table');
  else checkCompact(model, r, enc);
  const idx = unpackIndices(enc.bytes, r.bits, r.nz, P);
  const out = new Float32Array(2 * P);
  for (let p = 0; p < P; p++) {
    const j = idx[p];
    if (j >= rows) return malformed(`"${r.name}": index ${j} at pair ${p} is outside its ${rows}-row table`);
    out[2 * p] = table[2 * j];
    out[2 * p + 1] = table[2 * j + 1];
  }
  return out.subarray(0, r.numel);
}

/** A float32 initializer of the given shape whose values are exactly `expected`. */
function checkTable(model: OnnxModel, r: TensorRecord, name: string | undefined, dims: number[], expected: Float32Array, what: string): void {
  const init = name === undefined ? undefined : model.getInitializer(name);
  if (!init || init.dataType !== DataType.FLOAT || init.dims.join() !== dims.join()) return malformed(`"${r.name}": ${what} ${name ?? ''} missing or not float32 [${dims.join(', ')}]`);
  const got = init.readFloat32();
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(expected[i], got[i])) return malformed(`"${r.name}": ${what} entry ${i} differs from the one its side info gives`);
  }
}

/** Option B's codebook, shell scales and centre, each against the side info. */
function checkCompact(model: OnnxModel, r: TensorRecord, enc: HyperEncodedTensor): void {
  const t = compactTables(enc);
  checkTable(model, r, r.lut, [r.n + 1, 2], t.T, 'codebook');
  checkTable(model, r, r.scales, [r.K + 1, 1], t.S, 'shell scales');
  checkTable(model, r, r.centre, [2], t.c, 'centre');
}

function checkGraph(model: OnnxModel, r: TensorRecord): void {
  const names = new Set(model.nodes.map((n) => n.name ?? ''));
  const missing = r.nodes.find((n) => !names.has(n));
  if (missing) malformed(`"${r.name}": decode node ${missing} is missing`);
  const last = model.nodes.find((n) => n.name === r.nodes[r.nodes.length - 1]);
  if (last?.output?.[0] !== r.name) malformed(`"${r.name}": the decode subgraph no longer outputs it`);
  const scalar = r.scalars.find((s) => !model.getInitializer(s));
  if (scalar) malformed(`"${r.name}": constant ${scalar} is missing`);
}

/** Dense weights back in place of every hyper decode subgraph; returns the names restored. */
export async function hyperDecompressWeights(model: OnnxModel, ctx: RunContext): Promise<string[]> {
  const meta = readHyperMeta(model.getMetadata(HYPER_META_KEY));
  if (!meta || meta.tensors.length === 0) {
    throw new UserError(ErrorCodes.NOT_COMPRESSED, `hyper: the model has no ${HYPER_META_KEY} metadata (nothing hyper-encoded to restore)`, {
      hint: 'mc decompress undoes what mc compress --method hyper wrote; mc inspect shows a model\'s metadata',
    });
  }
  const task = ctx.progress.start('hyper decompress', meta.tensors.length);
  // phase 1: check and decode everything (no edits), so a bad tensor leaves the model as it was
  const dense: Float32Array[] = [];
  try {
    for (const r of meta.tensors) {
      throwIfAborted(ctx.signal);
      checkGraph(model, r);
      dense.push(decodeRecord(model, r));
      task.tick();
    }
  } catch (e) {
    task.fail();
    throw e;
  }
  // phase 2: edit
  const byName = new Map(model.nodes.map((n) => [n.name ?? '', n]));
  meta.tensors.forEach((r, i) => {
    for (const n of r.nodes) model.removeNode(byName.get(n)!);
    for (const init of [r.packed, r.lut, r.scales, r.centre, ...r.scalars]) if (init !== undefined) model.removeInitializer(init);
    // --decode run listed the packed bytes as a graph input
    const inputs = model.proto.graph?.input;
    if (inputs) model.proto.graph!.input = inputs.filter((v) => v.name !== r.packed);
    model.setInitializer(r.name, DataType.FLOAT, r.shape, dense[i]);
  });
  for (const name of Object.values(SHARED)) if (model.consumers(name).length === 0) model.removeInitializer(name);
  model.setMetadata(HYPER_META_KEY, '');
  const compact = meta.tensors.filter((r) => r.table === 'compact').length;
  task.done(
    `hyper: restored ${meta.tensors.length} dense weights` +
      (compact ? ` (${compact} with compact tables: the exact decode, a few float32 ulps from what their float32 graph computed)` : ''),
  );
  return meta.tensors.map((r) => r.name);
}
