/**
 * meta.json of a u8 segmentation folder (the layout of /work/shared/data/digits-seg-test): the image
 * header fields of an image-class folder, with files.masks (one uint8 per pixel, 0 = background,
 * 1 = foreground) in place of files.labels. Pure, like u8-meta.ts.
 */
import { ErrorCodes, UserError } from '@mc-kit/core';
import {
  imageShapes,
  isRecord,
  parseFile,
  parseLayout,
  positiveInt,
  type PixelLayout,
  type U8File,
} from './u8-meta.js';

export interface U8MaskMeta {
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly layout: PixelLayout;
  readonly images: U8File;
  readonly masks: U8File;
  /** class names, background first; ['background', 'foreground'] when meta.json has none */
  readonly labelNames: readonly string[];
}

export const MASK_META_HINT =
  'an image-mask folder holds meta.json ({"kind":"image-mask", count, height, width, channels, files.images, files.masks}) beside its .u8 files';

function bad(where: string, message: string): never {
  throw new UserError(ErrorCodes.BAD_DATASET, `${where}: ${message}`, { hint: MASK_META_HINT });
}

/** Cheap shape test used by canOpen. */
export function looksLikeU8MaskMeta(json: unknown): boolean {
  return (
    isRecord(json) &&
    json.kind === 'image-mask' &&
    isRecord(json.files) &&
    isRecord(json.files.images) &&
    isRecord(json.files.masks)
  );
}

export function parseU8MaskMeta(json: unknown, where: string): U8MaskMeta {
  if (!isRecord(json)) bad(where, 'meta.json is not a JSON object');
  if (json.kind !== 'image-mask') bad(where, `meta.json kind is ${JSON.stringify(json.kind)}, not "image-mask"`);
  if (!isRecord(json.files)) bad(where, 'meta.json has no "files"');
  if (json.count === 0) bad(where, 'the dataset is empty (meta.json count is 0)');
  const count = positiveInt(json, 'count', where, MASK_META_HINT);
  const height = positiveInt(json, 'height', where, MASK_META_HINT);
  const width = positiveInt(json, 'width', where, MASK_META_HINT);
  const channels = json.channels === undefined ? 1 : positiveInt(json, 'channels', where, MASK_META_HINT);
  const layout = parseLayout(json, isRecord(json.files.images) ? json.files.images : {}, where, MASK_META_HINT);
  let labelNames = ['background', 'foreground'];
  if (json.labels !== undefined) {
    if (!Array.isArray(json.labels) || json.labels.length !== 2)
      bad(where, 'meta.json "labels" must name exactly 2 classes (background, foreground): masks are binary');
    labelNames = json.labels.map(String);
  }
  const pixels = count * height * width;
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
      pixels * channels,
      where,
      MASK_META_HINT,
    ),
    masks: parseFile(json.files, 'masks', imageShapes(count, 1, height, width, 'CHW'), pixels, where, MASK_META_HINT),
    labelNames,
  };
}
