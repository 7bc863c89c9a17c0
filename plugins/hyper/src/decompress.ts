/**
 * The inverse of rewrite.ts for `mc decompress`: each weight recorded in `mc.hyper` is checked
 * against the graph (initializer types and sizes, the table against the one its side info gives,
 * every index within the table), decoded exactly as the subgraph does (table lookup), and put back
 * as a dense float32 initializer under its own name; the decode nodes and their constants go.
 * Every check runs before the first edit, so a malformed model fails with one line and no output.
 */
import { DataType, ErrorCodes, UserError, throwIfAborted, type OnnxModel, type RunContext } from '@mc-kit/core';
import { lookupTable, unpackIndices } from './codec/index.js';
import { GUARD_BYTES, SHARED } from './onnx/decode-graph.js';
import { encodedFrom, HYPER_META_KEY, readHyperMeta, type TensorRecord } from './onnx/metadata.js';

const malformed = (what: string): never => {
  throw new UserError(ErrorCodes.BAD_MODEL, `hyper: malformed model: ${what}`, {
    hint: 'the hyper initializers or decode nodes were changed after mc compress --method hyper; compress the dense model again',
  });
};

/** The dense values of one recorded tensor, after checking its initializers. */
export function decodeRecord(model: OnnxModel, r: TensorRecord): Float32Array {
  const packed = model.getInitializer(r.packed);
  const lut = model.getInitializer(r.lut);
  const P = Math.ceil(r.numel / 2);
  const payload = (P * r.bits + r.nz) / 8;
  if (!packed || packed.dataType !== DataType.UINT8) return malformed(`"${r.name}": packed indices ${r.packed} missing or not uint8`);
  if (packed.elementCount !== payload + GUARD_BYTES) return malformed(`"${r.name}": ${packed.elementCount} packed bytes, expected ${payload + GUARD_BYTES}`);
  const rows = (r.n + 1) * (r.K + 1);
  if (!lut || lut.dataType !== DataType.FLOAT || lut.dims.join() !== `${rows},2`) return malformed(`"${r.name}": lookup table ${r.lut} missing or not float32 [${rows}, 2]`);
  const bytes = (packed.readTyped() as Uint8Array).subarray(0, payload);
  const table = lut.readFloat32();
  const enc = encodedFrom(r, bytes);
  const expected = lookupTable(enc);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(expected[i], table[i])) return malformed(`"${r.name}": lookup table entry ${i >> 1} differs from the one its side info gives`);
  }
  const idx = unpackIndices(bytes, r.bits, r.nz, P);
  const out = new Float32Array(2 * P);
  for (let p = 0; p < P; p++) {
    const j = idx[p];
    if (j >= rows) return malformed(`"${r.name}": index ${j} at pair ${p} is outside its ${rows}-row table`);
    out[2 * p] = table[2 * j];
    out[2 * p + 1] = table[2 * j + 1];
  }
  return out.subarray(0, r.numel);
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
    for (const init of [r.packed, r.lut, ...r.scalars]) model.removeInitializer(init);
    // --decode run listed the packed bytes as a graph input
    const inputs = model.proto.graph?.input;
    if (inputs) model.proto.graph!.input = inputs.filter((v) => v.name !== r.packed);
    model.setInitializer(r.name, DataType.FLOAT, r.shape, dense[i]);
  });
  for (const name of Object.values(SHARED)) if (model.consumers(name).length === 0) model.removeInitializer(name);
  model.setMetadata(HYPER_META_KEY, '');
  task.done(`hyper: restored ${meta.tensors.length} dense weights`);
  return meta.tensors.map((r) => r.name);
}
