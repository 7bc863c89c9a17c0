/**
 * The image metrics' preprocessing flags. The preprocessing itself lives in @mc-kit/core
 * (image/preprocess.ts), shared with image calibration so both feed the model the same floats.
 */
import { resolvePreprocess, typedParams, type ParamSpec, type Params, type ResolvedSpec } from '@mc-kit/core';

export {
  DEFAULT_SPEC,
  preprocess,
  resolvePreprocess,
  parseFloatList,
  type PreprocessSpec,
  type ResolvedSpec,
  type PixelDims,
  type SpecSource,
  type SpecOverrides,
} from '@mc-kit/core';

/** The flags that override config.json preprocessing, for every image metric. */
export const PREPROCESS_PARAMS = Object.freeze([
  {
    name: 'rescale',
    type: 'number',
    description: 'pixel scale before mean/std (default: config.json preprocessing.rescale_factor, else 1/255)',
  },
  {
    name: 'mean',
    type: 'string',
    description: 'comma-separated per-channel mean, subtracted after rescale (default: config.json, else 0)',
  },
  {
    name: 'std',
    type: 'string',
    description: 'comma-separated per-channel std, divided after mean (default: config.json, else 1)',
  },
] as const satisfies readonly ParamSpec[]);

const preprocessParams = typedParams(PREPROCESS_PARAMS);

/** resolvePreprocess with the overrides read from a metric's parsed PREPROCESS_PARAMS. */
export function preprocessFromParams(
  config: Record<string, unknown> | undefined,
  params: Params,
  channels: number,
): ResolvedSpec {
  const { rescale, mean, std } = preprocessParams(params);
  return resolvePreprocess(config, { rescale, mean, std }, channels);
}
