/**
 * Bytes -> a validated ModelProto, or one readable UserError.
 *
 * protobufjs happily "decodes" many non-ONNX inputs (a text file can parse as a handful of unknown
 * fields), and throws the same RangeError for a truncated file and for random bytes. So before
 * decoding we walk the top-level ModelProto fields ourselves: a field number ModelProto does not
 * have, or a wrong wire type, means "not ONNX"; a field that runs past the end after a plausible
 * ir_version means "truncated". After decoding, a model must have ir_version > 0, a graph and an
 * opset_import.
 */
import { promises as fs } from 'node:fs';
import { ErrorCodes, UserError } from '../errors.js';
import { dropSelfReferenceMarks } from './external-data.js';
import { normalizeInt64, pb, toNumber, type onnx } from './proto.js';

const NOT_ONNX_HINT = 'pass an .onnx file (exported by PyTorch, TensorFlow, Optimum or onnx)';
const TRUNCATED_HINT = 'the file is incomplete (interrupted download or copy?); fetch or export it again';

/** ModelProto fields -> wire type (0 varint, 2 length-delimited). 26 is `configuration` (ONNX 1.18). */
const MODEL_FIELDS: Readonly<Record<number, number>> = {
  1: 0,
  2: 2,
  3: 2,
  4: 2,
  5: 0,
  6: 2,
  7: 2,
  8: 2,
  14: 2,
  20: 2,
  25: 2,
  26: 2,
};
const FIELD_NAMES: Readonly<Record<number, string>> = {
  7: 'graph',
  8: 'opset_import',
  20: 'training_info',
  25: 'functions',
};
/** Highest IR version we take as plausible (ONNX 1.18 is IR 11); guards the truncation verdict. */
const MAX_IR_VERSION = 64;

type Scan = { kind: 'ok' } | { kind: 'not-onnx'; why: string } | { kind: 'truncated'; why: string };

/** Decode and validate; `label` names the file (or 'model bytes') in messages. */
export function decodeModel(bytes: Uint8Array, label: string): onnx.ModelProto {
  if (bytes.length === 0) throw notOnnx(label, 'the file is empty');
  const scan = scanTopLevel(bytes);
  if (scan.kind === 'not-onnx') throw notOnnx(label, scan.why);
  if (scan.kind === 'truncated') {
    throw new UserError(ErrorCodes.TRUNCATED_ONNX, `${label} is a truncated ONNX model (${scan.why})`, {
      hint: TRUNCATED_HINT,
    });
  }
  let model: onnx.ModelProto;
  try {
    // protobufjs picks its reader with Buffer.isBuffer; a Buffer view (no copy) takes the fast
    // Buffer path, and does not depend on how instanceof behaves for plain Uint8Arrays (jest's
    // typed-array setup makes Buffer.isBuffer true for them, which garbles every string field).
    model = pb.ModelProto.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw notOnnx(label, `it cannot be decoded: ${e instanceof Error ? e.message : String(e)}`);
  }
  normalizeInt64(model);
  if (!(toNumber(model.irVersion) > 0)) throw notOnnx(label, 'it has no ir_version');
  if (!model.graph) throw notOnnx(label, 'it has no graph');
  if (!model.opsetImport?.length) throw notOnnx(label, 'it has no opset_import');
  dropSelfReferenceMarks(model.graph);
  return model;
}

function notOnnx(label: string, why: string): UserError {
  return new UserError(ErrorCodes.NOT_ONNX, `${label} is not an ONNX model: ${why}`, { hint: NOT_ONNX_HINT });
}

/** Walk top-level fields without decoding them. */
function scanTopLevel(b: Uint8Array): Scan {
  let pos = 0;
  let sawIrVersion = false;
  const cut = (why: string): Scan =>
    sawIrVersion ? { kind: 'truncated', why } : { kind: 'not-onnx', why: 'it does not start like a ModelProto' };
  while (pos < b.length) {
    const tag = readVarint(b, pos);
    if (tag === 'end') return cut(`it ends inside a field header at byte ${pos}`);
    if (tag === 'bad') return { kind: 'not-onnx', why: `malformed protobuf at byte ${pos}` };
    pos = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (MODEL_FIELDS[field] !== wire) {
      return { kind: 'not-onnx', why: `unexpected protobuf field ${field} (wire type ${wire}) at byte ${pos}` };
    }
    const v = readVarint(b, pos);
    if (v === 'end') return cut(`it ends inside field ${field} at byte ${pos}`);
    if (v === 'bad') return { kind: 'not-onnx', why: `malformed protobuf at byte ${pos}` };
    pos = v.next;
    if (field === 1) {
      if (v.value < 1 || v.value > MAX_IR_VERSION)
        return { kind: 'not-onnx', why: `implausible ir_version ${v.value}` };
      sawIrVersion = true;
    }
    if (wire === 2) {
      if (pos + v.value > b.length) {
        const name = FIELD_NAMES[field] ?? `field ${field}`;
        return cut(`${b.length} bytes, but its ${name} needs ${pos + v.value}`);
      }
      pos += v.value;
    }
  }
  return { kind: 'ok' };
}

/** One varint (exact up to 2^53); 'end' when the input stops inside it, 'bad' when it is over-long. */
function readVarint(b: Uint8Array, start: number): { value: number; next: number } | 'end' | 'bad' {
  let value = 0;
  let scale = 1;
  for (let pos = start; pos - start < 10; pos++) {
    if (pos >= b.length) return 'end';
    const byte = b[pos];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (!(byte & 0x80)) return { value, next: pos + 1 };
  }
  return 'bad';
}

/** Read a model file, turning file-system errors into one-line UserErrors. */
export async function readModelFile(path: string): Promise<Uint8Array> {
  return fs.readFile(path).catch((e: NodeJS.ErrnoException) => {
    throw readError(path, e);
  });
}

function readError(path: string, e: NodeJS.ErrnoException): UserError {
  switch (e.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new UserError(ErrorCodes.FILE_NOT_FOUND, `model not found: ${path}`, {
        hint: 'check the path; pass a .onnx file',
      });
    case 'EISDIR':
      return new UserError(ErrorCodes.NOT_ONNX, `${path} is a folder, not an ONNX file`, {
        hint: 'pass the .onnx file inside it',
      });
    case 'ERR_FS_FILE_TOO_LARGE':
      return new UserError(ErrorCodes.NOT_ONNX, `${path} is larger than 2 GiB, which no ONNX model file can be`, {
        hint: 'models that large keep their weights in an external data file beside a small .onnx',
      });
    default:
      return new UserError(ErrorCodes.FILE_NOT_FOUND, `cannot read ${path}: ${e.code ?? e.message}`, {
        hint: 'check the file permissions',
      });
  }
}
