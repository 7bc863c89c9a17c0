/**
 * Image preprocessing: uint8 pixels -> float32 NCHW, `((p * rescale) - mean[c]) / std[c]`.
 * Pure (no fs, no onnxruntime). The spec comes from the model folder's config.json
 * `preprocessing` (rescale_factor, mean, std), then overrides (the image metrics' --rescale/--mean/
 * --std) field by field. In core so that the image metrics and image calibration feed a model the
 * same floats.
 */
import { ErrorCodes, UserError } from '../errors.js';

export interface PreprocessSpec {
  readonly rescale: number;
  /** one value for all channels, or one per channel */
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** What a field's value came from, for the result's details. */
export type SpecSource = 'default' | 'config' | 'params';

export interface ResolvedSpec extends PreprocessSpec {
  readonly source: { readonly rescale: SpecSource; readonly mean: SpecSource; readonly std: SpecSource };
}

export const DEFAULT_SPEC: PreprocessSpec = Object.freeze({ rescale: 1 / 255, mean: [0], std: [1] });

export interface PixelDims {
  readonly count: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

function perChannel(values: readonly number[], channels: number, what: string): number[] {
  if (values.length === 1) return Array.from({ length: channels }, () => values[0]);
  if (values.length === channels) return [...values];
  throw new RangeError(`${what} has ${values.length} values for ${channels} channels`);
}

/**
 * Pixels [n, C, H, W] uint8 -> float32 of the same layout. A 256-entry table per channel holds
 * the formula evaluated in float64 and rounded once to float32, so every pixel value maps to the
 * same float however the loop is written (and `p * (1/255)` equals `p / 255` for all 256 bytes).
 */
export function preprocess(pixels: Uint8Array, dims: PixelDims, spec: PreprocessSpec): Float32Array {
  const { count, channels, height, width } = dims;
  const plane = height * width;
  if (pixels.length !== count * channels * plane) {
    throw new RangeError(`preprocess: ${pixels.length} pixels, expected ${count}x${channels}x${height}x${width}`);
  }
  const mean = perChannel(spec.mean, channels, 'mean');
  const std = perChannel(spec.std, channels, 'std');
  const tables = mean.map((m, c) => {
    const t = new Float32Array(256);
    for (let p = 0; p < 256; p++) t[p] = (p * spec.rescale - m) / std[c];
    return t;
  });
  const out = new Float32Array(pixels.length);
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      const t = tables[c];
      const base = (n * channels + c) * plane;
      for (let i = base; i < base + plane; i++) out[i] = t[pixels[i]];
    }
  }
  return out;
}

/** "0.485, 0.456,0.406" -> numbers; a bad list is the user's mistake. */
export function parseFloatList(text: string, flag: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const values = parts.map(Number);
  if (parts.some((s) => s === '') || values.some((v) => !Number.isFinite(v))) {
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `--${flag} must be comma-separated numbers (got ${JSON.stringify(text)})`,
      { hint: `e.g. --${flag} 0.485,0.456,0.406` },
    );
  }
  return values;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A config.json number or list of numbers; undefined when absent. */
function configList(pre: Record<string, unknown>, keys: readonly string[]): number[] | undefined {
  for (const key of keys) {
    const v = pre[key];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0 || list.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      throw new UserError(
        ErrorCodes.BAD_MODEL,
        `config.json preprocessing.${key} must be a number or a list of numbers`,
        { hint: 'fix config.json, or pass --rescale/--mean/--std' },
      );
    }
    return list as number[];
  }
  return undefined;
}

export interface SpecOverrides {
  readonly rescale?: number;
  readonly mean?: string;
  readonly std?: string;
}

/**
 * Spec = defaults, then config.json `preprocessing`, then params. Also reads the Hugging Face
 * image-processor names (image_mean, image_std, do_rescale, do_normalize) so a config copied from
 * a preprocessor_config.json means what it meant there.
 */
export function resolvePreprocess(
  config: Record<string, unknown> | undefined,
  overrides: SpecOverrides,
  channels: number,
): ResolvedSpec {
  const pre = isRecord(config?.preprocessing) ? config.preprocessing : {};
  let rescale = DEFAULT_SPEC.rescale;
  let mean: readonly number[] = DEFAULT_SPEC.mean;
  let std: readonly number[] = DEFAULT_SPEC.std;
  const source: { rescale: SpecSource; mean: SpecSource; std: SpecSource } = {
    rescale: 'default',
    mean: 'default',
    std: 'default',
  };
  const cfgRescale = configList(pre, ['rescale_factor']);
  if (cfgRescale) [rescale, source.rescale] = [cfgRescale[0], 'config'];
  if (pre.do_rescale === false) [rescale, source.rescale] = [1, 'config'];
  const cfgMean = configList(pre, ['mean', 'image_mean']);
  const cfgStd = configList(pre, ['std', 'image_std']);
  if (pre.do_normalize !== false) {
    if (cfgMean) [mean, source.mean] = [cfgMean, 'config'];
    if (cfgStd) [std, source.std] = [cfgStd, 'config'];
  } else {
    source.mean = source.std = 'config';
  }
  if (overrides.rescale !== undefined) [rescale, source.rescale] = [overrides.rescale, 'params'];
  if (overrides.mean !== undefined && overrides.mean !== '')
    [mean, source.mean] = [parseFloatList(overrides.mean, 'mean'), 'params'];
  if (overrides.std !== undefined && overrides.std !== '')
    [std, source.std] = [parseFloatList(overrides.std, 'std'), 'params'];
  for (const [what, list] of [
    ['mean', mean],
    ['std', std],
  ] as const) {
    if (list.length !== 1 && list.length !== channels) {
      const code = source[what] === 'params' ? ErrorCodes.BAD_PARAM : ErrorCodes.BAD_MODEL;
      throw new UserError(code, `${what} has ${list.length} values but the images have ${channels} channel(s)`, {
        hint: `give one ${what} value, or one per channel`,
      });
    }
  }
  if (std.some((s) => s === 0)) {
    const code = source.std === 'params' ? ErrorCodes.BAD_PARAM : ErrorCodes.BAD_MODEL;
    throw new UserError(code, 'std must not contain 0 (it divides)', { hint: 'use 1 for no scaling' });
  }
  return { rescale, mean: [...mean], std: [...std], source };
}
