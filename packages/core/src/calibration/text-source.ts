/**
 * Text calibration: windows of `seqlen` token ids drawn at random from the dataset's token stream,
 * as the GPTQ/SparseGPT/Wanda scripts draw theirs from C4 (datautils.get_c4: a random document, a
 * random window in it). The windows depend only on --seed (their own RNG, seeded from ctx.rng.seed),
 * not on what other steps drew before. source.ts opens the dataset and calls this for a text kind.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunContext, TextDataset } from '../contracts.js';
import { ErrorCodes, UserError } from '../errors.js';
import { contextLengthOf } from '../lm/causal-lm.js';
import { loadTokenizer } from '../lm/tokenizer.js';
import { readModelConfig } from '../model-config.js';
import { createRng } from '../rng.js';
import type { CalibrationSample, CalibrationSet } from './types.js';

export const CALIBRATION_DEFAULTS = Object.freeze({ samples: 128, seqlen: 2048 });

export interface TextWindowOptions {
  readonly dataset: string;
  readonly samples: number;
  /** --calib-seqlen as given (default 2048, capped by the model's context from config.json) */
  readonly seqlen?: number;
  /** the model ref as typed, and its folder (tokenizer.json, config.json) */
  readonly modelRef: string;
  readonly modelDir?: string;
}

/** Whether a model folder can be fed text (has tokenizer.json). */
export const hasTokenizer = (dir: string | undefined): boolean => !!dir && existsSync(join(dir, 'tokenizer.json'));

export async function loadTextCalibration(
  data: TextDataset,
  options: TextWindowOptions,
  ctx: RunContext,
): Promise<CalibrationSet> {
  const { samples } = options;
  if (!hasTokenizer(options.modelDir)) {
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `text calibration needs the model's tokenizer.json, and ${options.modelRef} has none beside it`,
      {
        hint: 'pass the model folder (model.onnx with tokenizer.json and config.json), as mc eval takes it',
      },
    );
  }
  const dir = options.modelDir as string;
  const config = readModelConfig(dir);
  const context = contextLengthOf(config);
  const seqlen = Math.min(options.seqlen ?? CALIBRATION_DEFAULTS.seqlen, context ?? Infinity);
  if (options.seqlen !== undefined && seqlen < options.seqlen)
    ctx.log.warn(`--calib-seqlen ${options.seqlen} is past the model's context; using ${seqlen}`);
  const tokenizer = await loadTokenizer(dir);

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
    throw new UserError(
      ErrorCodes.BAD_DATASET,
      `calibration dataset ${options.dataset} holds ${stream.length} tokens, fewer than one window of ${seqlen}`,
      {
        hint: `lower --calib-seqlen (to ${Math.max(2, stream.length)} or less) or pass a larger --calib-dataset`,
      },
    );
  }
  const windows: CalibrationSample[] = [];
  for (let i = 0; i < samples; i++) {
    const start = rng.int(stream.length - seqlen + 1);
    windows.push({ kind: 'tokens', ids: Int32Array.from(stream.slice(start, start + seqlen)) });
  }
  ctx.log.debug(
    `calibration: ${samples} windows of ${seqlen} tokens from ${stream.length} tokens of ${options.dataset}`,
  );
  return {
    info: {
      dataset: options.dataset,
      provider: data.provider,
      digest: data.digest,
      samples,
      seqlen,
      seed: ctx.rng.seed,
      kind: 'text',
    },
    samples: windows,
    config,
  };
}

function shuffle<T>(a: T[], rng: { int(n: number): number }): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}
