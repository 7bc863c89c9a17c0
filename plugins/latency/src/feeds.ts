/**
 * The inputs latency runs on: shaped from the graph (core's randomFeeds: batch --batch-size, other
 * symbolic dims --seq-len, token ids below the embedding's row count, masks of ones), or, when a
 * dataset is given, with its data in place of the random values: an image set's first --batch-size
 * images (pixels / 255, the [N, C, H, W] the model takes; run time does not depend on normalisation),
 * a text set's first tokens through the model's tokenizer.
 */
import {
  ErrorCodes,
  loadTokenizer,
  OnnxModel,
  randomFeeds,
  UserError,
  type HostTensor,
  type ImageClassDataset,
  type ImageMaskDataset,
  type LoadedModel,
  type NoDataset,
  type RunContext,
  type TextDataset,
} from '@mc-kit/core';

/** The kinds latency takes: images or text in place of random values, or none (inputs shaped from the graph). */
export const LATENCY_KINDS = ['image-class', 'image-mask', 'text', 'none'] as const;
export type LatencyData = ImageClassDataset | ImageMaskDataset | TextDataset | NoDataset;

export interface LatencyFeeds {
  readonly feeds: Record<string, HostTensor>;
  /** what the inputs are, in words (for the result) */
  readonly description: string;
}

export async function latencyFeeds(
  model: LoadedModel,
  data: LatencyData,
  batch: number,
  length: number,
  ctx: RunContext,
): Promise<LatencyFeeds> {
  const graph = await OnnxModel.load(model.path);
  const planned = randomFeeds(graph, 1, ctx.rng, { batch, length, floats: 'uniform', unknownIntegers: 'bits' });
  if ('notMeasured' in planned) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `latency cannot shape inputs for ${model.ref}: ${planned.notMeasured}`,
      { hint: "give --dataset with data the model takes, or check the model's declared inputs (mc inspect)" },
    );
  }
  const feeds = { ...planned.feeds[0] };
  const shapes = Object.entries(feeds)
    .map(([n, t]) => `${n} [${t.dims.join(', ')}]`)
    .join(', ');
  if (data.kind === 'image-class' || data.kind === 'image-mask')
    return {
      feeds: await withImages(feeds, data, model.ref),
      description: `${shapes}: the first images of ${data.ref}, pixels / 255`,
    };
  if (data.kind === 'text')
    return {
      feeds: await withText(feeds, data, model),
      description: `${shapes}: the first tokens of ${data.ref}`,
    };
  return { feeds, description: `${shapes}: seeded random values shaped from the graph (${planned.description})` };
}

async function withImages(
  feeds: Record<string, HostTensor>,
  data: ImageClassDataset | ImageMaskDataset,
  ref: string,
): Promise<Record<string, HostTensor>> {
  const entry = Object.entries(feeds).find(([, t]) => t.type === 'float32' && t.dims.length === 4);
  const want = [data.channels, data.height, data.width];
  if (!entry || entry[1].dims.slice(1).join() !== want.join()) {
    throw new UserError(
      ErrorCodes.WRONG_DATASET_KIND,
      `${ref} takes no float32 [N, ${want.join(', ')}] input for the images of ${data.ref}`,
      { hint: 'leave --dataset out to time the model on inputs shaped from its graph' },
    );
  }
  const [name, t] = entry;
  const n = t.dims[0];
  const per = want[0] * want[1] * want[2];
  const out = new Float32Array(n * per);
  let filled = 0;
  for await (const b of data.batches(n)) {
    for (let i = 0; i < b.pixels.length && filled < out.length; i++) out[filled++] = b.pixels[i] / 255;
    if (filled >= out.length) break;
  }
  // a set smaller than the batch repeats its images
  for (let i = filled; i < out.length && filled > 0; i++) out[i] = out[i % filled];
  return { ...feeds, [name]: { type: 'float32', dims: t.dims, data: out } };
}

async function withText(
  feeds: Record<string, HostTensor>,
  data: TextDataset,
  model: LoadedModel,
): Promise<Record<string, HostTensor>> {
  const ids = feeds.input_ids;
  if (!ids || !model.dir) {
    throw new UserError(
      ErrorCodes.WRONG_DATASET_KIND,
      `${model.ref} is not a language model folder with a tokenizer: a text dataset cannot feed it`,
      { hint: "pass the model's folder (with tokenizer.json), or leave --dataset out" },
    );
  }
  const tokenizer = await loadTokenizer(model.dir);
  const need = ids.data.length;
  const tokens: number[] = [];
  for (const s of data.subsets)
    for (const r of s.records) if (tokens.length < need && r) tokens.push(...tokenizer.encode(r));
  if (tokens.length === 0)
    throw new UserError(ErrorCodes.BAD_DATASET, `${data.ref} holds no text`, {
      hint: 'give a dataset with non-empty records, or leave --dataset out',
    });
  const data_ =
    ids.type === 'int64'
      ? BigInt64Array.from({ length: need }, (_, i) => BigInt(tokens[i % tokens.length]))
      : Int32Array.from({ length: need }, (_, i) => tokens[i % tokens.length]);
  return { ...feeds, input_ids: { type: ids.type, dims: ids.dims, data: data_ } };
}
