/**
 * Dataset provider `u8-masks`: a segmentation folder with meta.json, images.u8 and masks.u8 (uint8, no
 * header), as in /work/shared/data/digits-seg-test. Like u8-images, open() checks sizes, sha256 and the
 * mask values before any model runs; pixels and masks are streamed per batch.
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCodes, UserError } from '@mc-kit/core';
import type { DatasetProvider, DatasetRef, ImageMaskBatch, ImageMaskDataset, RunContext } from '@mc-kit/core';
import { hwcToChw } from './layout.js';
import {
  checkFile,
  checkLimit,
  combineFileDigests,
  diagnoseMeta,
  metaLooksLike,
  readMetaJson,
  readSamples,
} from './u8-images.js';
import { MASK_META_HINT, looksLikeU8MaskMeta, parseU8MaskMeta, type U8MaskMeta } from './u8-mask-meta.js';

const PROVIDER_ID = 'u8-masks';

function bad(where: string, message: string, hint = MASK_META_HINT): never {
  throw new UserError(ErrorCodes.BAD_DATASET, `${where}: ${message}`, { hint });
}

/** Masks are binary: a value other than 0 or 1 means the file is not what meta.json says. */
async function checkMaskValues(path: string, where: string): Promise<void> {
  const bytes = await fs.readFile(path);
  const at = bytes.findIndex((v) => v > 1);
  if (at >= 0)
    bad(where, `masks file has value ${bytes[at]} at byte ${at}; masks must be 0 (background) or 1 (foreground)`);
}

export class U8MasksDataset implements DatasetProvider<'image-mask'> {
  readonly id = PROVIDER_ID;
  readonly kind = 'image-mask';
  readonly summary = 'image segmentation from raw uint8 files (meta.json + images.u8 + masks.u8, masks 0/1)';

  canOpen(ref: DatasetRef): Promise<boolean> {
    return metaLooksLike(ref, looksLikeU8MaskMeta);
  }

  diagnose(ref: DatasetRef): Promise<string | undefined> {
    return diagnoseMeta(ref, 'image-mask', parseU8MaskMeta);
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<ImageMaskDataset> {
    const where = ref.ref;
    checkLimit(ref);
    const { meta, dir } = await readMetaJson(ref, PROVIDER_ID, MASK_META_HINT, parseU8MaskMeta);
    const pixels = meta.height * meta.width;
    const imagesSha = await checkFile(
      dir,
      meta.images,
      'images',
      meta.count * pixels * meta.channels,
      where,
      MASK_META_HINT,
    );
    const masksSha = await checkFile(dir, meta.masks, 'masks', meta.count * pixels, where, MASK_META_HINT);
    await checkMaskValues(resolve(dir, meta.masks.path), where);
    const size = Math.min(meta.count, ref.limit ?? meta.count);
    ctx.log.debug(`${where}: ${size}/${meta.count} images ${meta.channels}x${meta.height}x${meta.width} with masks`);
    return {
      kind: 'image-mask',
      provider: PROVIDER_ID,
      ref: ref.ref,
      digest: combineFileDigests([
        { name: meta.images.path, sha256: imagesSha },
        { name: meta.masks.path, sha256: masksSha },
      ]),
      size,
      height: meta.height,
      width: meta.width,
      channels: meta.channels,
      labels: meta.labelNames,
      batches: (batchSize: number) => readMaskBatches(dir, meta, size, batchSize, where),
    };
  }
}

/** Streams [n, C, H, W] pixels and [n, H, W] masks, first sample first. */
async function* readMaskBatches(
  dir: string,
  meta: U8MaskMeta,
  size: number,
  batchSize: number,
  where: string,
): AsyncGenerator<ImageMaskBatch> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batch size must be a positive integer (got ${batchSize})`);
  const pixelBytes = meta.channels * meta.height * meta.width;
  const maskBytes = meta.height * meta.width;
  const images = await fs.open(resolve(dir, meta.images.path), 'r');
  const masks = await fs.open(resolve(dir, meta.masks.path), 'r');
  try {
    for (let offset = 0; offset < size; offset += batchSize) {
      const count = Math.min(batchSize, size - offset);
      const raw = await readSamples(
        images,
        offset,
        count,
        pixelBytes,
        `images file ended early at sample ${offset}`,
        where,
      );
      const mask = await readSamples(
        masks,
        offset,
        count,
        maskBytes,
        `masks file ended early at sample ${offset}`,
        where,
      );
      const pixels = meta.layout === 'HWC' ? hwcToChw(raw, count, meta.channels, meta.height, meta.width) : raw;
      yield { pixels, masks: mask, count, offset };
    }
  } finally {
    await images.close();
    await masks.close();
  }
}
