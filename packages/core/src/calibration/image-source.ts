/**
 * Image calibration: `samples` images drawn at random (seeded, without replacement) from any dataset
 * that offers uint8 NCHW pixels through batches() (u8-images, u8-masks, any provider's image kind),
 * preprocessed exactly as the image metrics preprocess them (image/preprocess.ts, spec from the
 * model's config.json) and fed to the model's one image input.
 *
 * Only `pixels`, `count` and `offset` of a batch are read: labels and masks never are (a test feeds
 * a dataset whose labels throw when touched).
 */
import { throwIfAborted } from '../context.js';
import type { Dataset, RunContext } from '../contracts.js';
import { ErrorCodes, UserError } from '../errors.js';
import { preprocess, resolvePreprocess } from '../image/preprocess.js';
import { DATA_TYPES, DataType } from '../onnx/dtypes.js';
import type { OnnxModel, ValueInfoProto } from '../onnx/model.js';
import { toNumber } from '../onnx/proto.js';
import { createRng } from '../rng.js';
import type { CalibrationSample, CalibrationSet } from './types.js';

/** What calibration reads of an image dataset: the provider's pixels, nothing else. */
export interface PixelDataset {
  readonly ref: string;
  readonly provider: string;
  readonly digest: string;
  readonly size: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  batches(
    batchSize: number,
  ): AsyncIterable<{ readonly pixels: Uint8Array; readonly count: number; readonly offset: number }>;
}

/** A dataset offering uint8 NCHW pixels in batches, whatever its provider calls its kind. */
export function isPixelDataset(data: Dataset): data is Dataset & PixelDataset {
  if (!('batches' in data) || typeof data.batches !== 'function') return false;
  return [data.channels, data.height, data.width].every((v) => Number.isInteger(v) && v > 0);
}

/** Images per calibration sample (one onnxruntime run) when the model's batch dimension is free. */
const IMAGE_BATCH = 16;

type Dim = number | string;

function dimsOf(vi: ValueInfoProto): Dim[] {
  return (vi.type?.tensorType?.shape?.dim ?? []).map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? toNumber(d.dimValue) : d.dimParam || '?',
  );
}

const describeInput = (vi: ValueInfoProto) => {
  const type = vi.type?.tensorType?.elemType ?? 0;
  return `${vi.name} ${DATA_TYPES[type as DataType]?.name ?? `type ${type}`} [${dimsOf(vi).join(', ')}]`;
};

/** The graph inputs a caller feeds (initializers listed as inputs by IR < 4 models are not). */
export function fedInputs(model: OnnxModel): ValueInfoProto[] {
  const inits = new Set(model.initializerNames());
  return model.inputs.filter((vi) => !inits.has(vi.name ?? ''));
}

/** The one float32 NCHW input of an image model, or undefined (a language model, several inputs, ...). */
export function imageInputOf(model: OnnxModel): ValueInfoProto | undefined {
  const fed = fedInputs(model);
  if (fed.length !== 1) return undefined;
  const vi = fed[0];
  return vi.type?.tensorType?.elemType === DataType.FLOAT && dimsOf(vi).length === 4 ? vi : undefined;
}

/** One line on what the model takes, for errors. */
export function describeInputs(model: OnnxModel): string {
  return fedInputs(model).map(describeInput).join(', ') || 'no inputs';
}

/** The pixels fit the model: its input's numeric dims, and config.json's preprocessing size/channels. */
function checkFits(
  model: OnnxModel,
  input: ValueInfoProto,
  ds: PixelDataset,
  config: Record<string, unknown> | undefined,
  modelRef: string,
): void {
  const [, c, h, w] = dimsOf(input);
  const pre = config?.preprocessing as { size?: { height?: unknown; width?: unknown }; channels?: unknown } | undefined;
  const want = {
    channels: typeof c === 'number' ? c : typeof pre?.channels === 'number' ? pre.channels : undefined,
    height: typeof h === 'number' ? h : typeof pre?.size?.height === 'number' ? pre.size.height : undefined,
    width: typeof w === 'number' ? w : typeof pre?.size?.width === 'number' ? pre.size.width : undefined,
  };
  const bad = (['channels', 'height', 'width'] as const).filter((k) => want[k] !== undefined && want[k] !== ds[k]);
  if (bad.length === 0) return;
  throw new UserError(
    ErrorCodes.WRONG_DATASET_KIND,
    `calibration dataset ${ds.ref} has ${ds.channels}x${ds.height}x${ds.width} images; ${modelRef} takes ${want.channels ?? '?'}x${want.height ?? '?'}x${want.width ?? '?'} (${bad.join(', ')} differ${bad.length === 1 ? 's' : ''})`,
    {
      hint: `calibrate on images of the size and channels the model was trained on (its input: ${describeInput(input)})`,
    },
  );
}

/** `count` distinct indices of [0, size), seeded, in increasing order (a partial Fisher-Yates). */
export function drawIndices(size: number, count: number, seed: number): number[] {
  const rng = createRng(seed);
  const pool = Int32Array.from({ length: size }, (_, i) => i);
  const n = Math.min(count, size);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(size - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return Array.from(pool.subarray(0, n)).sort((a, b) => a - b);
}

export interface ImageCalibrationOptions {
  readonly dataset: string;
  readonly samples: number;
  /** the model ref as typed, for messages */
  readonly modelRef: string;
  readonly config?: Record<string, unknown>;
}

/** Draw, preprocess and batch the calibration images for `model`'s image input. */
export async function loadImageCalibration(
  model: OnnxModel,
  ds: PixelDataset,
  options: ImageCalibrationOptions,
  ctx: RunContext,
): Promise<CalibrationSet> {
  const input = imageInputOf(model);
  if (!input) {
    const lm = fedInputs(model).some((vi) => vi.name === 'input_ids');
    throw new UserError(
      ErrorCodes.WRONG_DATASET_KIND,
      `calibration dataset ${options.dataset} holds images, but ${options.modelRef} takes ${describeInputs(model)}${lm ? ' (a language model)' : ', not one float32 NCHW image'}`,
      {
        hint: lm
          ? 'pass a text dataset (a folder, .jsonl or .txt) to --calib-dataset'
          : 'image calibration feeds one float32 [batch, channels, height, width] input',
      },
    );
  }
  checkFits(model, input, ds, options.config, options.modelRef);
  const spec = resolvePreprocess(options.config, {}, ds.channels);
  if (ds.size < 1)
    throw new UserError(ErrorCodes.BAD_DATASET, `calibration dataset ${options.dataset} holds no images`, {
      hint: 'pass a dataset with at least one image to --calib-dataset',
    });
  const chosen = drawIndices(ds.size, options.samples, ctx.rng.seed);
  if (chosen.length < options.samples)
    ctx.log.warn(
      `--calib-samples ${options.samples}: ${options.dataset} holds ${ds.size} images; calibrating on all of them`,
    );

  const plane = ds.channels * ds.height * ds.width;
  const picked = new Uint8Array(chosen.length * plane);
  let next = 0;
  for await (const batch of ds.batches(256)) {
    throwIfAborted(ctx.signal);
    while (next < chosen.length && chosen[next] < batch.offset + batch.count) {
      const at = chosen[next] - batch.offset;
      picked.set(batch.pixels.subarray(at * plane, (at + 1) * plane), next * plane);
      next++;
    }
    if (next === chosen.length) break;
  }
  if (next !== chosen.length)
    throw new UserError(
      ErrorCodes.BAD_DATASET,
      `calibration dataset ${options.dataset} gave ${next} of the ${ds.size} images it announced`,
    );

  // a fixed batch dimension takes exactly that many images per run (the rest left out, said below)
  const batchDim = dimsOf(input)[0];
  const fixed = typeof batchDim === 'number' && batchDim > 0;
  const per = fixed ? batchDim : IMAGE_BATCH;
  const used = fixed ? Math.floor(chosen.length / per) * per : chosen.length;
  const name = input.name ?? '';
  const samples: CalibrationSample[] = [];
  for (let i = 0; i < used; i += per) {
    const count = Math.min(per, used - i);
    const dims = { count, channels: ds.channels, height: ds.height, width: ds.width };
    const data = preprocess(picked.subarray(i * plane, (i + count) * plane), dims, spec);
    samples.push({
      kind: 'feeds',
      feeds: { [name]: { type: 'float32', data, dims: [count, ds.channels, ds.height, ds.width] } },
    });
  }
  if (used === 0)
    throw new UserError(
      ErrorCodes.BAD_DATASET,
      `calibration: ${input.name} takes batches of exactly ${per} images, and ${options.dataset} gives ${chosen.length}`,
      { hint: `raise --calib-samples to ${per} or more` },
    );
  if (used < chosen.length)
    ctx.log.warn(
      `calibration: ${input.name} takes batches of exactly ${per}; ${chosen.length - used} of ${chosen.length} images left out`,
    );
  const preprocessLine = `rescale ${+spec.rescale.toPrecision(6)}, mean [${spec.mean.join(', ')}], std [${spec.std.join(', ')}] (${spec.source.rescale === 'config' || spec.source.mean === 'config' || spec.source.std === 'config' ? 'config.json' : 'defaults'})`;
  ctx.log.debug(`calibration: ${used} images of ${ds.size} from ${options.dataset}, ${preprocessLine}`);
  return {
    info: {
      dataset: options.dataset,
      provider: ds.provider,
      digest: ds.digest,
      samples: used,
      seed: ctx.rng.seed,
      kind: 'image',
      image: { input: name, channels: ds.channels, height: ds.height, width: ds.width, preprocess: preprocessLine },
    },
    samples,
    config: options.config,
  };
}
