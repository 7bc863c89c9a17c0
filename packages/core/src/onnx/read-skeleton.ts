/**
 * Read a model file without reading its large weights.
 *
 * Reading the whole file and decoding it puts every byte of it in memory at once, and V8 frees that
 * buffer when it pleases, often after a compressor has allocated its first weight on top (issue 5:
 * `mc compress` peaked at 3.7x the file). Instead we walk the protobuf wire format with positioned
 * reads: ModelProto.graph (7) -> GraphProto.initializer (5) -> TensorProto.raw_data (9). A raw_data
 * of at least `minBytes` is skipped and remembered (its offset and length in the file); every other
 * field is copied as it is. Enclosing length prefixes are rewritten to the shorter sizes, so the
 * result is an ordinary, smaller ModelProto encoding for decode.ts to validate and decode, and the
 * skipped weights become self references (defer-raw-data.ts) read back when a compressor asks.
 *
 * With `replace`, each skipped payload is replaced by fields of the caller's (mapped-model.ts puts an
 * external-data reference to the payload there), so the result is a model that points at the file.
 *
 * Anything unexpected (a bad varint, a field running past the end) returns undefined: the caller
 * then reads the file the plain way, whose decoder produces the one-line "not ONNX" / "truncated"
 * errors.
 */
import { promises as fs } from 'node:fs';

/** A raw_data payload left in the file: the `index`-th top-level initializer. */
export interface SkippedRawData {
  readonly index: number;
  readonly offset: number;
  readonly length: number;
}

export interface Skeleton {
  /** The model's encoding without the skipped payloads. */
  readonly bytes: Uint8Array;
  readonly skipped: readonly SkippedRawData[];
}

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const LEN = 2;

type Level = 'model' | 'graph' | 'tensor';

class Malformed extends Error {}

/** Positioned reads over one open file. */
class FileReader {
  constructor(
    private readonly handle: fs.FileHandle,
    readonly size: number,
  ) {}

  async bytes(offset: number, length: number): Promise<Uint8Array> {
    if (offset + length > this.size) throw new Malformed();
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) throw new Malformed();
      done += bytesRead;
    }
    return out;
  }

  /** A field header at `pos`: tag and (for length-delimited fields) the payload length; `value` for a varint field. */
  async header(
    pos: number,
    end: number,
  ): Promise<{ field: number; wire: number; payload: number; next: number; value?: number }> {
    const head = await this.bytes(pos, Math.min(20, end - pos));
    const tag = varint(head, 0);
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (field === 0) throw new Malformed();
    if (wire === 0) {
      const v = varint(head, tag.next);
      return { field, wire, payload: 0, next: pos + v.next, value: v.value };
    }
    if (wire === 1) return { field, wire, payload: 0, next: pos + tag.next + 8 };
    if (wire === 5) return { field, wire, payload: 0, next: pos + tag.next + 4 };
    if (wire !== LEN) throw new Malformed();
    const len = varint(head, tag.next);
    return { field, wire, payload: len.value, next: pos + len.next };
  }
}

function varint(b: Uint8Array, start: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let pos = start; pos < b.length && pos - start < 10; pos++) {
    value += (b[pos] & 0x7f) * scale;
    scale *= 128;
    if (!(b[pos] & 0x80)) return { value, next: pos + 1 };
  }
  throw new Malformed();
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

export interface SkeletonOptions {
  /**
   * The encoded TensorProto fields to put in place of a skipped raw_data (offset and length of its
   * payload in the file). The tensor's data_location DEFAULT, if written out, is dropped (absent
   * means the same); a tensor that names external data besides large raw_data makes the walk give
   * up, as no replacement could say which one holds the values.
   */
  readonly replace?: (offset: number, length: number) => Uint8Array;
}

/** The skeleton of `path`, or undefined when its bytes are not a well-formed ModelProto walk. */
export async function readSkeleton(
  path: string,
  minBytes: number,
  options: SkeletonOptions = {},
): Promise<Skeleton | undefined> {
  const handle = await fs.open(path, 'r');
  try {
    const reader = new FileReader(handle, (await handle.stat()).size);
    const skipped: SkippedRawData[] = [];
    const counter = { initializers: 0 };
    const parts = await copyMessage(reader, 0, reader.size, 'model', {
      minBytes,
      skipped,
      counter,
      replace: options.replace,
    });
    return { bytes: concat(parts), skipped };
  } catch (e) {
    if (e instanceof Malformed) return undefined;
    throw e;
  } finally {
    await handle.close();
  }
}

interface Walk {
  readonly minBytes: number;
  readonly skipped: SkippedRawData[];
  readonly counter: { initializers: number };
  readonly replace?: SkeletonOptions['replace'];
  /** index of the initializer being copied (level 'tensor') */
  index?: number;
}

/** The fields of the message in [start, end), with the rewrites of its level; consecutive kept fields are read in one go. */
async function copyMessage(r: FileReader, start: number, end: number, level: Level, walk: Walk): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  let keepFrom = start;
  // a tensor whose raw_data was replaced, and one that also names external data of its own
  let replaced = false;
  let external = false;
  const flush = async (upTo: number) => {
    if (upTo > keepFrom) parts.push(await r.bytes(keepFrom, upTo - keepFrom));
  };
  let pos = start;
  while (pos < end) {
    const h = await r.header(pos, end);
    const fieldEnd = h.next + h.payload;
    if (fieldEnd > end) throw new Malformed();
    const child = h.wire === LEN ? childLevel(level, h.field) : undefined;
    if (child) {
      await flush(pos);
      const index = child === 'tensor' ? walk.counter.initializers++ : walk.index;
      const inner = await copyMessage(r, h.next, fieldEnd, child, { ...walk, index });
      const length = inner.reduce((n, p) => n + p.length, 0);
      parts.push(Uint8Array.from([...encodeVarint(h.field * 8 + LEN), ...encodeVarint(length)]), ...inner);
      keepFrom = fieldEnd;
    } else if (level === 'tensor' && h.field === TENSOR_RAW_DATA && h.wire === LEN && h.payload >= walk.minBytes) {
      await flush(pos);
      walk.skipped.push({ index: walk.index ?? -1, offset: h.next, length: h.payload });
      if (walk.replace) {
        parts.push(walk.replace(h.next, h.payload));
        replaced = true;
      }
      keepFrom = fieldEnd;
    } else if (
      level === 'tensor' &&
      walk.replace &&
      h.field === TENSOR_DATA_LOCATION &&
      h.wire === 0 &&
      h.value === 0
    ) {
      await flush(pos);
      keepFrom = fieldEnd;
    } else if (level === 'tensor' && (h.field === TENSOR_DATA_LOCATION || h.field === TENSOR_EXTERNAL_DATA)) {
      external = true;
    }
    pos = fieldEnd;
  }
  if (replaced && external) throw new Malformed();
  await flush(end);
  return parts;
}

function childLevel(level: Level, field: number): Level | undefined {
  if (level === 'model' && field === MODEL_GRAPH) return 'graph';
  if (level === 'graph' && field === GRAPH_INITIALIZER) return 'tensor';
  return undefined;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
