/**
 * Dataset provider `u8-images`: a folder with meta.json, images.u8 (uint8 pixels, no header) and
 * labels.u8 (one uint8 class index per sample), as in /work/shared/data/mnist-test.
 *
 * open() checks everything it can before any model runs (sizes, sha256, label range), so a bad
 * folder fails in one line instead of halfway through an evaluation. Pixels are streamed from disk
 * per batch; only the labels (one byte per sample) are held in memory.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCodes, UserError, regularFileInside, sha256File } from '@mc-kit/core';
import type { DatasetProvider, DatasetRef, ImageClassBatch, ImageClassDataset, RunContext } from '@mc-kit/core';
import { hwcToChw } from './layout.js';
import {
  META_HINT,
  isRecord,
  looksLikeU8ImageMeta,
  parseU8ImageMeta,
  type U8File,
  type U8ImageMeta,
} from './u8-meta.js';

const PROVIDER_ID = 'u8-images';

/** meta.json of a folder ref, or the ref itself when it names meta.json. */
export function metaPathOf(path: string): string {
  return basename(path) === 'meta.json' ? path : join(path, 'meta.json');
}

function bad(where: string, message: string, hint = META_HINT): never {
  throw new UserError(ErrorCodes.BAD_DATASET, `${where}: ${message}`, { hint });
}

/**
 * Same bytes as core's sha256Files ("name\0sha256\n", sorted by name), fed with hashes we already
 * computed to check meta.json, so each file is read once. A test pins it to sha256Files.
 */
export function combineFileDigests(files: readonly { name: string; sha256: string }[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.name.localeCompare(b.name))) hash.update(`${f.name}\0${f.sha256}\n`);
  return hash.digest('hex');
}

/**
 * A u8 folder's meta.json, parsed by `parse` (the provider's own rules), and the folder it sits in.
 * `provider` and `hint` name the provider in the one-line errors.
 */
export async function readMetaJson<M>(
  ref: DatasetRef,
  provider: string,
  hint: string,
  parse: (json: unknown, where: string) => M,
): Promise<{ meta: M; dir: string }> {
  const where = ref.ref;
  if (!ref.path) bad(where, `${provider} reads local folders only`, 'pass the path of a dataset folder');
  const metaPath = metaPathOf(ref.path);
  if (!existsSync(metaPath)) bad(where, `no meta.json in ${ref.path}`, hint);
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(metaPath, 'utf8'));
  } catch (e) {
    bad(where, `meta.json is not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`, hint);
  }
  return { meta: parse(json, where), dir: dirname(metaPath) };
}

/** Size and sha256 of one data file against meta.json; returns the sha256. */
export async function checkFile(
  dir: string,
  file: U8File,
  what: string,
  bytes: number,
  where: string,
  hint = META_HINT,
): Promise<string> {
  if (!existsSync(resolve(dir, file.path))) bad(where, `${what} file ${file.path} is missing`, hint);
  // meta.json names the file: it must be a regular file inside the folder, links resolved
  const path = regularFileInside(dir, file.path, `${where}: ${what} file of meta.json`);
  const size = statSync(path).size;
  if (size !== bytes)
    bad(
      where,
      `${what} file ${file.path} has ${size} bytes, meta.json implies ${bytes}`,
      'the file is truncated or meta.json describes another file',
    );
  const sha = await sha256File(path);
  if (file.sha256 !== undefined && sha !== file.sha256) {
    bad(
      where,
      `${what} file ${file.path} has sha256 ${sha.slice(0, 12)}…, meta.json says ${file.sha256.slice(0, 12)}…`,
      'the file changed since meta.json was written; re-download the dataset',
    );
  }
  return sha;
}

function classNames(meta: U8ImageMeta, labels: Uint8Array, where: string): string[] {
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  if (!meta.labelNames) return Array.from({ length: max + 1 }, (_, i) => String(i));
  if (max >= meta.labelNames.length) {
    const at = labels.findIndex((l) => l >= meta.labelNames!.length);
    bad(
      where,
      `label ${labels[at]} at sample ${at} is outside the ${meta.labelNames.length} classes named in meta.json "labels"`,
    );
  }
  return [...meta.labelNames];
}

/** canOpen of a u8 provider: does the folder's meta.json pass `looksLike`? */
export async function metaLooksLike(ref: DatasetRef, looksLike: (json: unknown) => boolean): Promise<boolean> {
  if (!ref.path) return false;
  try {
    return looksLike(JSON.parse(await fs.readFile(metaPathOf(ref.path), 'utf8')));
  } catch {
    return false;
  }
}

/**
 * Why a folder that is almost a u8 set of `kind` is not one: a meta.json that is not JSON, or that
 * claims `kind` but breaks `parse`'s rules; .u8 files with no meta.json; a meta.json with no kind.
 */
export async function diagnoseMeta(
  ref: DatasetRef,
  kind: string,
  parse: (json: unknown, where: string) => unknown,
): Promise<string | undefined> {
  if (!ref.path || !existsSync(ref.path)) return undefined;
  const metaPath = metaPathOf(ref.path);
  if (!existsSync(metaPath)) {
    const u8 = statSync(ref.path).isDirectory() ? (await fs.readdir(ref.path)).filter((n) => n.endsWith('.u8')) : [];
    return u8.length > 0 ? `the folder holds ${u8.join(', ')} but no meta.json, which says what they are` : undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(metaPath, 'utf8'));
  } catch (e) {
    return `${metaPath} is not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
  if (!isRecord(json))
    return `${metaPath} must be a JSON object (got ${Array.isArray(json) ? 'an array' : JSON.stringify(json)})`;
  if (json.kind === undefined) return `${metaPath} has no "kind" ("image-class" or "image-mask")`;
  if (json.kind !== kind) return undefined;
  try {
    parse(json, '\u0000');
  } catch (e) {
    return (e as Error).message.replace('\u0000: ', '');
  }
  return undefined;
}

export function checkLimit(ref: DatasetRef): void {
  if (ref.limit !== undefined && (!Number.isInteger(ref.limit) || ref.limit < 1)) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--limit must be a positive integer (got ${ref.limit})`);
  }
}

export class U8ImagesDataset implements DatasetProvider<'image-class'> {
  readonly id = PROVIDER_ID;
  readonly kind = 'image-class';
  readonly summary = 'image classification from raw uint8 files (meta.json + images.u8 + labels.u8)';

  canOpen(ref: DatasetRef): Promise<boolean> {
    return metaLooksLike(ref, looksLikeU8ImageMeta);
  }

  diagnose(ref: DatasetRef): Promise<string | undefined> {
    return diagnoseMeta(ref, 'image-class', parseU8ImageMeta);
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<ImageClassDataset> {
    const where = ref.ref;
    checkLimit(ref);
    const { meta, dir } = await readMetaJson(ref, PROVIDER_ID, META_HINT, parseU8ImageMeta);
    const sampleBytes = meta.channels * meta.height * meta.width;
    const imagesSha = await checkFile(dir, meta.images, 'images', meta.count * sampleBytes, where);
    const labelsSha = await checkFile(dir, meta.labels, 'labels', meta.count, where);
    const allLabels = new Uint8Array(await fs.readFile(resolve(dir, meta.labels.path)));
    const labelNames = classNames(meta, allLabels, where);
    const size = Math.min(meta.count, ref.limit ?? meta.count);
    const labels = allLabels.slice(0, size);
    const digest = combineFileDigests([
      { name: meta.images.path, sha256: imagesSha },
      { name: meta.labels.path, sha256: labelsSha },
    ]);
    ctx.log.debug(
      `${where}: ${size}/${meta.count} images ${meta.channels}x${meta.height}x${meta.width} (${meta.layout}), ${labelNames.length} classes`,
    );
    return {
      kind: 'image-class',
      provider: PROVIDER_ID,
      ref: ref.ref,
      digest,
      size,
      height: meta.height,
      width: meta.width,
      channels: meta.channels,
      labels: labelNames,
      batches: (batchSize: number) => readBatches(resolve(dir, meta.images.path), meta, labels, batchSize, where),
    };
  }
}

/** `count` samples of `sampleBytes` each from sample `offset` of an open .u8 file. */
export async function readSamples(
  fh: fs.FileHandle,
  offset: number,
  count: number,
  sampleBytes: number,
  ended: string,
  where: string,
): Promise<Uint8Array> {
  const raw = new Uint8Array(count * sampleBytes);
  let filled = 0;
  while (filled < raw.length) {
    const { bytesRead } = await fh.read(raw, filled, raw.length - filled, offset * sampleBytes + filled);
    if (bytesRead === 0) bad(where, ended, 'the file changed while it was being read');
    filled += bytesRead;
  }
  return raw;
}

/** Streams [n, C, H, W] pixels and their labels, first sample first, the last batch possibly short. */
async function* readBatches(
  path: string,
  meta: U8ImageMeta,
  labels: Uint8Array,
  batchSize: number,
  where: string,
): AsyncGenerator<ImageClassBatch> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batch size must be a positive integer (got ${batchSize})`);
  const sampleBytes = meta.channels * meta.height * meta.width;
  const fh = await fs.open(path, 'r');
  try {
    for (let offset = 0; offset < labels.length; offset += batchSize) {
      const count = Math.min(batchSize, labels.length - offset);
      const raw = await readSamples(
        fh,
        offset,
        count,
        sampleBytes,
        `images file ended early at sample ${offset}`,
        where,
      );
      const pixels = meta.layout === 'HWC' ? hwcToChw(raw, count, meta.channels, meta.height, meta.width) : raw;
      yield { pixels, labels: labels.slice(offset, offset + count), count, offset };
    }
  } finally {
    await fh.close();
  }
}
