/**
 * meta.json of a u8 image-classification folder (the layout of /work/shared/data/mnist-test):
 * raw uint8 files with no header, described by one JSON file. Parsing is pure (no fs) so every
 * rule can be tested on plain objects; the provider checks the files against what this returns.
 */
import { ErrorCodes, UserError } from '@mc-kit/core';

export type PixelLayout = 'CHW' | 'HWC';

export interface U8File {
  /** path relative to the dataset folder, as written in meta.json */
  readonly path: string;
  /** expected sha256 (hex), when meta.json gives one */
  readonly sha256?: string;
}

export interface U8ImageMeta {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** order of one sample's pixels in images.u8; batches are always CHW */
  readonly layout: PixelLayout;
  readonly images: U8File;
  readonly labels: U8File;
  /** class names, index = label value; undefined when meta.json has none */
  readonly labelNames?: readonly string[];
}

export const META_HINT =
  'an image-class folder holds meta.json ({"kind":"image-class", count, height, width, channels, files.images, files.labels}) beside its .u8 files';

function bad(where: string, message: string, hint = META_HINT): never {
  throw new UserError(ErrorCodes.BAD_DATASET, `${where}: ${message}`, { hint });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function positiveInt(meta: Record<string, unknown>, key: string, where: string, hint = META_HINT): number {
  const v = meta[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    bad(where, `meta.json "${key}" must be a positive integer (got ${JSON.stringify(v)})`, hint);
  return v;
}

/** Cheap shape test used by canOpen: does this JSON claim to be a u8 image-class set? */
export function looksLikeU8ImageMeta(json: unknown): boolean {
  if (!isRecord(json) || json.kind !== 'image-class' || !isRecord(json.files)) return false;
  return isRecord(json.files.images) && isRecord(json.files.labels);
}

export function parseLayout(
  json: Record<string, unknown>,
  images: Record<string, unknown>,
  where: string,
  hint = META_HINT,
): PixelLayout {
  const raw = json.layout ?? images.layout;
  if (raw === undefined) return 'CHW';
  const s = String(raw).toUpperCase().replace(/^N/, '');
  if (s === 'CHW' || s === 'HWC') return s;
  return bad(where, `meta.json "layout" must be CHW or HWC (got ${JSON.stringify(raw)})`, hint);
}

/** One files.<key> entry: a uint8 file whose declared shape and size must match the header fields. */
export function parseFile(
  files: Record<string, unknown>,
  key: string,
  shapes: number[][],
  bytes: number,
  where: string,
  hint = META_HINT,
): U8File {
  const f = files[key];
  if (!isRecord(f)) bad(where, `meta.json has no files.${key}`, hint);
  if (typeof f.path !== 'string' || f.path === '') bad(where, `meta.json files.${key}.path must be a file name`, hint);
  if (f.dtype !== undefined && f.dtype !== 'uint8')
    bad(where, `files.${key}.dtype must be uint8 (got ${JSON.stringify(f.dtype)})`, hint);
  if (f.shape !== undefined) {
    const shape = JSON.stringify(f.shape);
    if (!shapes.some((s) => JSON.stringify(s) === shape)) {
      bad(
        where,
        `files.${key}.shape ${shape} does not match count/height/width/channels (expected ${shapes.map((s) => JSON.stringify(s)).join(' or ')})`,
        hint,
      );
    }
  }
  if (f.bytes !== undefined && f.bytes !== bytes)
    bad(where, `files.${key}.bytes is ${JSON.stringify(f.bytes)}, but count/height/width/channels make ${bytes}`, hint);
  if (f.sha256 !== undefined && (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(f.sha256))) {
    bad(where, `files.${key}.sha256 must be 64 hex digits`, hint);
  }
  return { path: f.path, sha256: typeof f.sha256 === 'string' ? f.sha256.toLowerCase() : undefined };
}

/** The image shapes meta.json may declare for `count` samples (channels 1 may omit its axis). */
export function imageShapes(
  count: number,
  channels: number,
  height: number,
  width: number,
  layout: PixelLayout,
): number[][] {
  return channels === 1
    ? [
        [count, height, width],
        [count, 1, height, width],
        [count, height, width, 1],
      ]
    : [layout === 'HWC' ? [count, height, width, channels] : [count, channels, height, width]];
}

/** Validate meta.json's content; `where` names the dataset in messages. */
export function parseU8ImageMeta(json: unknown, where: string): U8ImageMeta {
  if (!isRecord(json)) bad(where, 'meta.json is not a JSON object');
  if (json.kind !== 'image-class') bad(where, `meta.json kind is ${JSON.stringify(json.kind)}, not "image-class"`);
  if (!isRecord(json.files)) bad(where, 'meta.json has no "files"');
  if (json.count === 0) bad(where, 'the dataset is empty (meta.json count is 0)');
  const count = positiveInt(json, 'count', where);
  const height = positiveInt(json, 'height', where);
  const width = positiveInt(json, 'width', where);
  const channels = json.channels === undefined ? 1 : positiveInt(json, 'channels', where);
  const images = isRecord(json.files.images) ? json.files.images : {};
  const layout = parseLayout(json, images, where);
  let labelNames: string[] | undefined;
  if (json.labels !== undefined) {
    if (!Array.isArray(json.labels) || json.labels.length === 0 || json.labels.length > 256) {
      bad(where, 'meta.json "labels" must be a list of 1..256 class names');
    }
    labelNames = json.labels.map(String);
  }
  return {
    count,
    height,
    width,
    channels,
    layout,
    images: parseFile(
      json.files,
      'images',
      imageShapes(count, channels, height, width, layout),
      count * channels * height * width,
      where,
    ),
    labels: parseFile(json.files, 'labels', [[count]], count, where),
    labelNames,
  };
}
