/**
 * A model file as onnxruntime should read it when memory counts: the file's own encoding with each
 * large raw_data replaced by an external-data reference to those very bytes of the same file.
 *
 * Given the file's path, onnxruntime parses every weight into its copy of the protobuf and then
 * copies it again into the session's tensor, so creating a session peaks at twice the weights
 * (bench/int8.mjs's 64 MiB MatMul: 139 MiB above where it started, whatever the session options).
 * Given these bytes and the file's folder, it maps each weight from the file and keeps that one
 * copy (11 MiB with prepacking off; the weight's pages become resident as a run reads them). The
 * graph is the file's, field for field: only where each large payload sits changes
 * (read-skeleton.ts walks the wire format).
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EXTERNAL, externalEntries } from './external-data.js';
import { pb } from './proto.js';
import { readSkeleton } from './read-skeleton.js';

/** raw_data at least this large is read from the file (smaller ones are not worth a mapping each). */
export const MAPPED_MIN_BYTES = 1 << 20;

export interface MappedModel {
  /** the model with its large weights as references into `file` */
  readonly bytes: Uint8Array;
  /** the folder onnxruntime resolves external data against: the model file's */
  readonly folder: string;
}

/**
 * The mapped form of the model at `path`, or undefined where the plain file is what onnxruntime
 * should read: no raw_data large enough, a file the wire walk gives up on, or a file reached through
 * a symlink (onnxruntime refuses external data whose real path leaves the folder, and the folder of
 * the link is where the model's own external data lives).
 */
export async function readMappedModel(path: string, minBytes = MAPPED_MIN_BYTES): Promise<MappedModel | undefined> {
  const abs = resolve(path);
  const folder = dirname(abs);
  const name = basename(abs);
  const real = await fs.realpath(abs).catch(() => undefined);
  const realFolder = await fs.realpath(folder).catch(() => undefined);
  if (real === undefined || realFolder === undefined || real !== join(realFolder, name)) return undefined;
  if ((await fs.stat(abs)).size < minBytes) return undefined;
  const reference = (offset: number, length: number): Uint8Array =>
    pb.TensorProto.encode({ externalData: externalEntries(name, offset, length), dataLocation: EXTERNAL }).finish();
  const skeleton = await readSkeleton(abs, minBytes, { replace: reference });
  if (!skeleton || skeleton.skipped.length === 0) return undefined;
  return { bytes: skeleton.bytes, folder };
}
