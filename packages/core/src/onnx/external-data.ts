/**
 * ONNX external data: a tensor with data_location = EXTERNAL keeps its bytes in another file, named
 * by external_data entries (location relative to the model's folder, offset, length). Models past
 * 2 GB must use it (a protobuf message cannot exceed 2 GB).
 *
 * Reads are synchronous positioned reads of one tensor at a time, done when the tensor is first
 * read, so loading a 10 GB model costs nothing until a compressor touches a weight.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ErrorCodes, UserError } from '../errors.js';
import { regularFileInside } from '../safe-paths.js';
import type { onnx } from './proto.js';

/** TensorProto.DataLocation.EXTERNAL */
export const EXTERNAL = 1;
/** Offsets of tensors we write start on this boundary (lets readers mmap and view them aligned). */
export const EXTERNAL_ALIGNMENT = 64;

export interface ExternalRef {
  readonly location: string;
  readonly offset: number;
  /** Absent: up to what the shape needs. */
  readonly length?: number;
}

export function isExternal(t: onnx.ITensorProto): boolean {
  return t.dataLocation === EXTERNAL;
}

/** external_data key marking a weight left on disk in the model file itself (see defer-raw-data.ts). */
export const SELF_REFERENCE_KEY = 'mc.self';

export function isSelfReference(t: onnx.ITensorProto): boolean {
  return (t.externalData ?? []).some((e) => e.key === SELF_REFERENCE_KEY);
}

/** A model file cannot mark its own tensors as mc's self-references (that would skip the folder check): drop such marks on load. */
export function dropSelfReferenceMarks(graph: onnx.IGraphProto | null | undefined): void {
  if (!graph) return;
  visitTensors(graph, (t) => {
    if (t.externalData?.some((e) => e.key === SELF_REFERENCE_KEY))
      t.externalData = t.externalData.filter((e) => e.key !== SELF_REFERENCE_KEY);
  });
}

/** Parse a tensor's external_data entries. */
export function externalRef(t: onnx.ITensorProto): ExternalRef {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) {
    throw new UserError(ErrorCodes.BAD_MODEL, `initializer ${t.name} is marked external but names no location`, {
      hint: 'the model file is damaged; export it again',
    });
  }
  const int = (key: string): number | undefined => {
    const raw = entries.get(key);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new UserError(ErrorCodes.BAD_MODEL, `initializer ${t.name} has external ${key} "${raw}"`);
    return n;
  };
  return { location, offset: int('offset') ?? 0, length: int('length') };
}

/** Entries for a tensor we write (values are decimal strings, as onnx.proto says). */
export function externalEntries(location: string, offset: number, length: number): onnx.IStringStringEntryProto[] {
  return [
    { key: 'location', value: location },
    { key: 'offset', value: String(offset) },
    { key: 'length', value: String(length) },
  ];
}

/**
 * The file an external tensor lives in. Like onnx's checker, refuse absolute locations and ones that
 * climb out of the model's folder; and, unlike it, also a location that is a symlink leading out of
 * the folder (`w.bin -> /etc/passwd`) or that is not a regular file (a FIFO would block the read):
 * a model file should not make us read arbitrary paths. `self`: a weight mc left in the model file
 * itself (defer-raw-data.ts), which the user named and which may be a link.
 */
export function resolveExternalPath(
  baseDir: string | undefined,
  location: string,
  tensorName: string,
  self = false,
): string {
  if (baseDir === undefined) {
    throw new UserError(
      ErrorCodes.BAD_MODEL,
      `initializer ${tensorName} lives in external file ${location}, but the model was read from bytes with no folder`,
      {
        hint: 'load the model with OnnxModel.load(path), or pass baseDir to fromBytes',
      },
    );
  }
  const path = resolve(baseDir, location);
  const rel = relative(resolve(baseDir), path);
  if (isAbsolute(location) || rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new UserError(
      ErrorCodes.BAD_MODEL,
      `initializer ${tensorName} points outside the model folder (${location})`,
      {
        hint: 'external data must sit in the model folder, named by a relative path',
      },
    );
  }
  if (self) return path;
  if (!existsSync(path)) return path; // readExternal says which file is missing
  return regularFileInside(baseDir, location, `external data of initializer ${tensorName}`, ErrorCodes.BAD_MODEL);
}

/** Read `length` bytes at `offset` of `path` (positioned reads; the file is not kept open). */
export function readExternal(path: string, offset: number, length: number, tensorName: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? ErrorCodes.FILE_NOT_FOUND : ErrorCodes.BAD_MODEL,
      `cannot read external data of ${tensorName}: ${path} ${code === 'ENOENT' ? 'does not exist' : `(${code ?? String(e)})`}`,
      { hint: 'keep the external data file beside the .onnx file it belongs to' },
    );
  }
  try {
    const size = fstatSync(fd).size;
    if (offset + length > size) {
      throw new UserError(
        ErrorCodes.TRUNCATED_ONNX,
        `external data of ${tensorName} needs bytes ${offset}..${offset + length} of ${path}, which has ${size}`,
        {
          hint: 'the external data file is incomplete or does not belong to this model',
        },
      );
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Visit every TensorProto a graph holds: initializers, attribute tensors, and those of subgraphs. */
export function visitTensors(graph: onnx.IGraphProto, visit: (t: onnx.ITensorProto) => void): void {
  for (const t of graph.initializer ?? []) visit(t);
  for (const node of graph.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (a.t) visit(a.t);
      for (const t of a.tensors ?? []) visit(t);
      if (a.g) visitTensors(a.g, visit);
      for (const g of a.graphs ?? []) visitTensors(g, visit);
    }
  }
}

/** Absolute paths of every external data file a model refers to. */
export function externalDataFiles(model: onnx.IModelProto, baseDir: string | undefined): string[] {
  const files = new Set<string>();
  if (model.graph && baseDir !== undefined) {
    visitTensors(model.graph, (t) => {
      // a weight still on disk in the model file itself (defer-raw-data.ts) is not a data file
      if (isExternal(t) && !isSelfReference(t)) files.add(resolve(baseDir, externalRef(t).location));
    });
  }
  return [...files];
}

/** Round `offset` up to the alignment. */
export function alignUp(offset: number, alignment = EXTERNAL_ALIGNMENT): number {
  return Math.ceil(offset / alignment) * alignment;
}
