/**
 * The image metrics' preprocessing flags. The preprocessing itself lives in @mc-kit/core
 * (image/preprocess.ts), shared with image calibration so both feed the model the same floats.
 */
import { resolvePreprocess, type ParamSpec, type Params, type ResolvedSpec } from '@mc-kit/core';

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
export const PREPROCESS_PARAMS: readonly ParamSpec[] = Object.freeze([
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
]);

/** resolvePreprocess with the overrides read from a metric's parsed PREPROCESS_PARAMS. */
export function preprocessFromParams(
  config: Record<string, unknown> | undefined,
  params: Params,
  channels: number,
): ResolvedSpec {
  return resolvePreprocess(
    config,
    {
      rescale: params.rescale as number | undefined,
      mean: params.mean as string | undefined,
      std: params.std as string | undefined,
    },
    channels,
  );
}
