/**
 * Keep a loaded model's large weights on disk, not in memory.
 *
 * protobufjs decodes raw_data as views into the one buffer holding the whole file, so a single
 * surviving view (a bias, a string attribute) keeps every byte of the file alive for the whole run,
 * and a compressor that reads a weight then holds the file AND its copy. After decoding we therefore
 * (1) turn each large raw_data into an external-data reference to the model file itself (offset and
 * length of those very bytes), read back with a positioned read when a compressor asks for it, and
 * (2) copy every remaining small byte field out of the file buffer, so the buffer can be collected.
 * Peak memory of `mc compress` then follows the tensor being worked on, not the file (issue 5).
 *
 * A self reference carries the extra external_data key `mc.self`. It never reaches disk: the writer
 * re-homes every external tensor (inlined, or copied into the output's own data file).
 */
import { EXTERNAL, SELF_REFERENCE_KEY, externalEntries } from './external-data.js';
import type { onnx } from './proto.js';

export { isSelfReference } from './external-data.js';

/** raw_data at least this large stays on disk until read. */
export const DEFER_MIN_BYTES = 1 << 20;

/**
 * `file` is the buffer `model` was decoded from; `location` the model file's name (relative to its
 * folder, where external data is resolved).
 */
export function deferRawData(
  model: onnx.ModelProto,
  file: Uint8Array,
  location: string,
  minBytes = DEFER_MIN_BYTES,
): void {
  for (const t of model.graph?.initializer ?? []) {
    const raw = t.rawData;
    if (!raw || raw.length < minBytes || raw.buffer !== file.buffer) continue;
    t.dataLocation = EXTERNAL;
    t.externalData = [
      ...externalEntries(location, raw.byteOffset - file.byteOffset, raw.length),
      { key: SELF_REFERENCE_KEY, value: '1' },
    ];
    t.rawData = new Uint8Array(0);
  }
  detachFrom(model, file.buffer);
}

/**
 * The same self references for a model decoded from a skeleton (read-skeleton.ts): `skipped` names
 * top-level initializers by index, with the offset and length of their raw_data in the model file.
 */
export function markSelfReferences(
  model: onnx.ModelProto,
  skipped: readonly { index: number; offset: number; length: number }[],
  location: string,
): void {
  const inits = model.graph?.initializer ?? [];
  for (const s of skipped) {
    const t = inits[s.index];
    if (!t) throw new Error(`skeleton names initializer ${s.index}, but the graph has ${inits.length}`);
    t.dataLocation = EXTERNAL;
    t.externalData = [...externalEntries(location, s.offset, s.length), { key: SELF_REFERENCE_KEY, value: '1' }];
  }
}

/** Replace every byte view into `buffer` reachable from `node` by its own copy. */
function detachFrom(node: unknown, buffer: ArrayBufferLike): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const v = node[i];
      if (v instanceof Uint8Array) {
        if (v.buffer === buffer) node[i] = Uint8Array.prototype.slice.call(v);
      } else detachFrom(v, buffer);
    }
    return;
  }
  if (ArrayBuffer.isView(node)) return;
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const v = record[key];
    if (v instanceof Uint8Array) {
      if (v.buffer === buffer) record[key] = Uint8Array.prototype.slice.call(v);
    } else if (v !== null && typeof v === 'object') detachFrom(v, buffer);
  }
}
