/**
 * The dataset provider: id, the kind of dataset it gives (metrics declare the kinds they score),
 * canOpen() so `mc eval --dataset PATH` finds it without --dataset-type, and open().
 *
 * REPLACE: the id is what users pass to `--dataset-type`; canOpen() recognises your files; open()
 * returns the type your kind maps to in @mc-kit/core's DatasetKinds ('image-class' -> ImageClassDataset,
 * 'text' -> TextDataset, ...). A kind of your own is one declaration away: see README.md.
 */
import { promises as fs, statSync } from 'node:fs';
import {
  ErrorCodes,
  UserError,
  sha256File,
  type DatasetProvider,
  type DatasetRef,
  type ImageClassDataset,
  type RunContext,
} from '@mc-kit/core';
import { parseImageCsv } from './parse.js';

export class CsvImagesDataset implements DatasetProvider<'image-class'> {
  readonly id = 'csv-images';
  readonly kind = 'image-class';
  readonly summary = 'square grayscale images as CSV lines of label,pixel,pixel,... (MNIST in CSV)';

  async canOpen(ref: DatasetRef): Promise<boolean> {
    return (
      ref.path !== undefined &&
      ref.path.toLowerCase().endsWith('.csv') &&
      statSync(ref.path, { throwIfNoEntry: false })?.isFile() === true
    );
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<ImageClassDataset> {
    if (!ref.path || !(await this.canOpen(ref))) {
      throw new UserError(ErrorCodes.BAD_DATASET, `${this.id} reads a local .csv file; ${ref.ref} is not one`, {
        hint: 'pass the path of a .csv file',
      });
    }
    // The whole file in memory keeps the example short; stream it for large datasets.
    const parsed = parseImageCsv(await fs.readFile(ref.path, 'utf8'), ref.ref, ref.limit);
    const { count, side, pixels, labels } = parsed;
    const classes = labels.reduce((m, l) => Math.max(m, l), 0) + 1;
    ctx.log.debug(`${ref.ref}: ${count} images ${side}x${side}, ${classes} classes`);
    return {
      kind: 'image-class',
      provider: this.id,
      ref: ref.ref,
      digest: await sha256File(ref.path), // results record it: the same digest means the same data
      size: count,
      height: side,
      width: side,
      channels: 1,
      labels: Array.from({ length: classes }, (_, i) => String(i)),
      async *batches(batchSize: number) {
        const plane = side * side;
        for (let offset = 0; offset < count; offset += batchSize) {
          const n = Math.min(batchSize, count - offset);
          yield {
            pixels: pixels.subarray(offset * plane, (offset + n) * plane),
            labels: labels.subarray(offset, offset + n),
            count: n,
            offset,
          };
        }
      },
    };
  }
}
