/**
 * The text calibration source behind --calib-dataset: windows of `seqlen` token ids drawn at random
 * from the dataset's token stream, as the GPTQ/SparseGPT/Wanda scripts draw theirs from C4
 * (datautils.get_c4: a random document, a random window in it).
 *
 * Lazy: the dataset is opened, the tokenizer loaded and the text tokenized on the first load() only,
 * so a method that needs no calibration costs nothing. The windows depend only on --seed (their own
 * RNG, seeded from ctx.rng.seed), not on what other steps drew before.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetProvider, DatasetRef, RunContext, TextDataset } from '../contracts.js';
import { ErrorCodes, UserError } from '../errors.js';
import { isHubRef, resolveHubRef } from '../hub/index.js';
import { contextLengthOf } from '../lm/causal-lm.js';
import { loadTokenizer } from '../lm/tokenizer.js';
import { readModelConfig } from '../model-config.js';
import { assertFileOrFolder } from '../safe-paths.js';
import { resolveModelRef } from '../model-ref.js';
import type { Registry } from '../registry.js';
import { createRng } from '../rng.js';
import type { CalibrationInfo, CalibrationSample, CalibrationSet, CalibrationSource } from './types.js';

export const CALIBRATION_DEFAULTS = Object.freeze({ samples: 128, seqlen: 2048 });

export interface TextCalibrationOptions {
  /** --calib-dataset: a text dataset any registered provider reads (folder, .jsonl/.txt file, hf: id) */
  readonly dataset: string;
  /** --calib-dataset-type: force a provider id */
  readonly datasetType?: string;
  /** --calib-samples (default 128) */
  readonly samples?: number;
  /** --calib-seqlen (default 2048, capped by the model's context from config.json) */
  readonly seqlen?: number;
  /** the model ref being compressed: its folder holds tokenizer.json and config.json */
  readonly model: string;
  readonly registry: Registry;
}

export function createTextCalibration(options: TextCalibrationOptions, ctx: RunContext): CalibrationSource {
  const samples = options.samples ?? CALIBRATION_DEFAULTS.samples;
  if (!Number.isInteger(samples) || samples < 1) throw new UserError(ErrorCodes.BAD_PARAM, `--calib-samples must be a positive integer, got ${samples}`);
  if (options.seqlen !== undefined && (!Number.isInteger(options.seqlen) || options.seqlen < 2)) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--calib-seqlen must be an integer >= 2, got ${options.seqlen}`);
  }
  const info: CalibrationInfo = { dataset: options.dataset, samples, seqlen: options.seqlen ?? CALIBRATION_DEFAULTS.seqlen, seed: ctx.rng.seed };
  let loaded: Promise<CalibrationSet> | undefined;
  return {
    info,
    load: () => (loaded ??= loadTextCalibration(options, samples, ctx)),
  };
}

async function loadTextCalibration(options: TextCalibrationOptions, samples: number, ctx: RunContext): Promise<CalibrationSet> {
  const model = await resolveModelRef(options.model, ctx);
  if (!model.dir || !existsSync(join(model.dir, 'tokenizer.json'))) {
    throw new UserError(ErrorCodes.BAD_PARAM, `text calibration needs the model's tokenizer.json, and ${options.model} has none beside it`, {
      hint: 'pass the model folder (model.onnx with tokenizer.json and config.json), as mc eval takes it',
    });
  }
  const config = readModelConfig(model.dir);
  const context = contextLengthOf(config);
  const seqlen = Math.min(options.seqlen ?? CALIBRATION_DEFAULTS.seqlen, context ?? Infinity);
  if (options.seqlen !== undefined && seqlen < options.seqlen) ctx.log.warn(`--calib-seqlen ${options.seqlen} is past the model's context; using ${seqlen}`);
  const tokenizer = await loadTokenizer(model.dir);
  const { data, provider } = await openText(options, ctx);

  // Tokenize records in a seeded random order until the stream holds twice what the windows take
  // (all of a small corpus), so a large corpus is not tokenized whole for 128 windows.
  const rng = createRng(ctx.rng.seed);
  const records = data.subsets.flatMap((s) => s.records).filter((r) => r.length > 0);
  shuffle(records, rng);
  const want = 2 * samples * seqlen;
  const stream: number[] = [];
  for (const r of records) {
    if (stream.length >= want) break;
    for (const id of tokenizer.encode(r)) stream.push(id);
  }
  if (stream.length < seqlen) {
    throw new UserError(ErrorCodes.BAD_DATASET, `calibration dataset ${options.dataset} holds ${stream.length} tokens, fewer than one window of ${seqlen}`, {
      hint: `lower --calib-seqlen (to ${Math.max(2, stream.length)} or less) or pass a larger --calib-dataset`,
    });
  }
  const windows: CalibrationSample[] = [];
  for (let i = 0; i < samples; i++) {
    const start = rng.int(stream.length - seqlen + 1);
    windows.push({ kind: 'tokens', ids: Int32Array.from(stream.slice(start, start + seqlen)) });
  }
  ctx.log.debug(`calibration: ${samples} windows of ${seqlen} tokens from ${stream.length} tokens of ${options.dataset}`);
  return {
    info: { dataset: options.dataset, provider: provider.id, digest: data.digest, samples, seqlen, seed: ctx.rng.seed },
    samples: windows,
    config,
  };
}

async function openText(options: TextCalibrationOptions, ctx: RunContext): Promise<{ data: TextDataset; provider: DatasetProvider }> {
  const path = isHubRef(options.dataset)
    ? (await resolveHubRef(options.dataset, 'dataset', ctx)).dir
    : existsSync(resolve(options.dataset))
      ? resolve(options.dataset)
      : undefined;
  if (!path) throw new UserError(ErrorCodes.FILE_NOT_FOUND, `calibration dataset not found: ${options.dataset}`, { hint: 'pass a text dataset folder or .jsonl/.txt file to --calib-dataset' });
  assertFileOrFolder(path, 'calibration dataset', ErrorCodes.BAD_DATASET);
  const ref: DatasetRef = { ref: options.dataset, path };
  const provider = await chooseTextProvider(options, ref);
  const data = await provider.open(ref, ctx);
  if (data.kind !== 'text') {
    throw new UserError(ErrorCodes.WRONG_DATASET_KIND, `calibration dataset ${options.dataset} is of kind ${data.kind}; calibration reads text`, { hint: 'pass a text dataset to --calib-dataset' });
  }
  return { data: data as unknown as TextDataset, provider };
}

async function chooseTextProvider(options: TextCalibrationOptions, ref: DatasetRef): Promise<DatasetProvider> {
  if (options.datasetType) return options.registry.dataset(options.datasetType);
  const providers = options.registry.datasetProviders();
  const recognised: DatasetProvider[] = [];
  for (const p of providers) if (await p.canOpen(ref)) recognised.push(p);
  const text = recognised.find((p) => p.kind === 'text');
  if (text) return text;
  if (recognised.length > 0) {
    throw new UserError(ErrorCodes.WRONG_DATASET_KIND, `calibration dataset ${options.dataset} is of kind ${recognised[0].kind}; calibration reads text`, { hint: 'pass a text dataset to --calib-dataset' });
  }
  throw new UserError(ErrorCodes.BAD_DATASET, `no dataset provider recognises ${options.dataset}`, {
    hint: `calibration reads text datasets; providers: ${providers.map((p) => `${p.id} (${p.kind})`).join(', ') || 'none'}`,
  });
}

function shuffle<T>(a: T[], rng: { int(n: number): number }): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}
