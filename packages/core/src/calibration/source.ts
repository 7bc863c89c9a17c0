/**
 * The calibration source behind --calib-dataset: any dataset a registered provider opens, read as
 * what it is: text -> token windows (text-source.ts), uint8 pixels -> preprocessed images
 * (image-source.ts). A dataset that does not suit the model (text for an image model, images for a
 * language model, images of another size) is one UserError before any method runs on it.
 *
 * Lazy: nothing is opened, tokenized or decoded until a method calls load(); later calls return
 * the same set (one source serves every step of a chain and every point of a sweep).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Dataset, DatasetProvider, DatasetRef, RunContext } from '../contracts.js';
import { ErrorCodes, UserError } from '../errors.js';
import { isHubRef, resolveHubRef } from '../hub/index.js';
import { readModelConfig } from '../model-config.js';
import { resolveModelRef } from '../model-ref.js';
import { OnnxModel } from '../onnx/model.js';
import type { Registry } from '../registry.js';
import { assertFileOrFolder } from '../safe-paths.js';
import { describeInputs, imageInputOf, isPixelDataset, loadImageCalibration } from './image-source.js';
import { CALIBRATION_DEFAULTS, hasTokenizer, loadTextCalibration } from './text-source.js';
import type { CalibrationInfo, CalibrationSet, CalibrationSource } from './types.js';

export interface CalibrationOptions {
  /** --calib-dataset: a dataset any registered provider reads (text: folder, .jsonl/.txt, hf: id; images: u8-images/u8-masks folders, ...) */
  readonly dataset: string;
  /** --calib-dataset-type: force a provider id */
  readonly datasetType?: string;
  /** false: seqlen is the caller's own default (drift probes), not the user's --calib-seqlen, so an image set does not warn that it goes unused */
  readonly seqlenGiven?: boolean;
  /** --calib-samples (default 128): text windows, or images */
  readonly samples?: number;
  /** --calib-seqlen (text only; default 2048, capped by the model's context from config.json) */
  readonly seqlen?: number;
  /** the model ref being compressed: its folder holds tokenizer.json / config.json */
  readonly model: string;
  readonly registry: Registry;
}

export function createCalibration(options: CalibrationOptions, ctx: RunContext): CalibrationSource {
  const samples = options.samples ?? CALIBRATION_DEFAULTS.samples;
  if (!Number.isInteger(samples) || samples < 1)
    throw new UserError(ErrorCodes.BAD_PARAM, `--calib-samples must be a positive integer, got ${samples}`);
  if (options.seqlen !== undefined && (!Number.isInteger(options.seqlen) || options.seqlen < 2)) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--calib-seqlen must be an integer >= 2, got ${options.seqlen}`);
  }
  const info: CalibrationInfo = {
    dataset: options.dataset,
    ...(options.datasetType ? { datasetType: options.datasetType } : {}),
    samples,
    seqlen: options.seqlen ?? CALIBRATION_DEFAULTS.seqlen,
    seed: ctx.rng.seed,
  };
  let loaded: Promise<CalibrationSet> | undefined;
  return { info, load: () => (loaded ??= loadCalibration(options, samples, ctx)) };
}

async function loadCalibration(options: CalibrationOptions, samples: number, ctx: RunContext): Promise<CalibrationSet> {
  const model = await resolveModelRef(options.model, ctx);
  const data = await openDataset(options, ctx);
  if (data.kind === 'text' && Array.isArray(data.subsets)) {
    if (!hasTokenizer(model.dir)) {
      // say what the model takes when it is an image model: "no tokenizer.json" would mislead
      const graph = await OnnxModel.load(model.path);
      const image = imageInputOf(graph);
      if (image) {
        throw new UserError(
          ErrorCodes.WRONG_DATASET_KIND,
          `calibration dataset ${options.dataset} is text, but ${options.model} takes images (${describeInputs(graph)})`,
          {
            hint: 'pass an image dataset (a u8-images or u8-masks folder) to --calib-dataset',
          },
        );
      }
    }
    return loadTextCalibration(
      data,
      { dataset: options.dataset, samples, seqlen: options.seqlen, modelRef: options.model, modelDir: model.dir },
      ctx,
    );
  }
  if (isPixelDataset(data)) {
    if (options.seqlen !== undefined && options.seqlenGiven !== false)
      ctx.log.warn(
        `--calib-seqlen ${options.seqlen} is for text windows; ${options.dataset} holds images, so it is not used`,
      );
    const graph = await OnnxModel.load(model.path);
    const config = model.dir ? readModelConfig(model.dir) : undefined;
    return loadImageCalibration(
      graph,
      data,
      { dataset: options.dataset, samples, modelRef: options.model, config },
      ctx,
    );
  }
  throw new UserError(
    ErrorCodes.WRONG_DATASET_KIND,
    `calibration dataset ${options.dataset} is of kind ${data.kind}; calibration reads text or images`,
    {
      hint: 'pass a text dataset (language models) or an image dataset (vision models) to --calib-dataset',
    },
  );
}

async function openDataset(options: CalibrationOptions, ctx: RunContext): Promise<Dataset> {
  const path = isHubRef(options.dataset)
    ? (await resolveHubRef(options.dataset, 'dataset', ctx)).dir
    : existsSync(resolve(options.dataset))
      ? resolve(options.dataset)
      : undefined;
  if (!path)
    throw new UserError(ErrorCodes.FILE_NOT_FOUND, `calibration dataset not found: ${options.dataset}`, {
      hint: 'pass a dataset folder or file (text: .jsonl/.txt; images: a u8-images folder) to --calib-dataset',
    });
  assertFileOrFolder(path, 'calibration dataset', ErrorCodes.BAD_DATASET);
  const ref: DatasetRef = { ref: options.dataset, path };
  const provider = await chooseProvider(options, ref);
  return provider.open(ref, ctx);
}

/** --calib-dataset-type, else the first provider that recognises the ref (text or image kinds first). */
async function chooseProvider(options: CalibrationOptions, ref: DatasetRef): Promise<DatasetProvider> {
  if (options.datasetType) return options.registry.dataset(options.datasetType);
  const providers = options.registry.datasetProviders();
  const recognised: DatasetProvider[] = [];
  for (const p of providers) if (await p.canOpen(ref)) recognised.push(p);
  const readable = recognised.find((p) => p.kind === 'text' || p.kind.startsWith('image'));
  if (readable ?? recognised[0]) return (readable ?? recognised[0]) as DatasetProvider;
  const diagnoses = (await Promise.all(providers.map(async (p) => p.diagnose?.(ref)))).filter((d): d is string => !!d);
  throw new UserError(
    ErrorCodes.BAD_DATASET,
    diagnoses[0]
      ? `calibration dataset ${options.dataset}: ${diagnoses[0]}`
      : `no dataset provider recognises ${options.dataset}`,
    {
      hint: `calibration reads text or image datasets; providers: ${providers.map((p) => `${p.id} (${p.kind})`).join(', ') || 'none'}`,
    },
  );
}

/** One line for reports: what the calibration data was, and its digest. */
export function describeCalibration(info: CalibrationInfo): string {
  const what =
    info.kind === 'image' && info.image
      ? `${info.samples} images (${info.image.channels}x${info.image.height}x${info.image.width}, ${info.image.preprocess}) fed to ${info.image.input}`
      : info.seqlen !== undefined
        ? `${info.samples} windows of ${info.seqlen} tokens`
        : `${info.samples} samples`;
  return `${what} from ${info.dataset}${info.provider ? ` (${info.provider})` : ''}${info.seed !== undefined ? `, seed ${info.seed}` : ''}${info.digest ? `, sha256 ${info.digest.slice(0, 12)}` : ''}`;
}
