/**
 * Probes from real data (--probe-dataset): token windows drawn, seeded, from any text dataset a
 * registered provider reads, fed as mc eval feeds a causal LM; or images, preprocessed as the image
 * metrics do, for an image model. Both through the calibration source (the same provider choice,
 * tokenizer, draw and preprocessing as --calib-dataset).
 */
import { createCalibration } from '../calibration/source.js';
import type { RunContext } from '../contracts.js';
import type { HostTensor } from '../session/types.js';
import { isUserError, UserError } from '../errors.js';
import { buildFeeds, inputSpecs } from '../lm/feeds.js';
import type { OnnxModel } from '../onnx/model.js';
import type { Registry } from '../registry.js';
import type { ProbePlan } from './random-feeds.js';

/** Tokens per probe window (capped by the model's context). */
export const PROBE_DATASET_SEQLEN = 64;

export interface DatasetProbeOptions {
  readonly dataset: string;
  readonly datasetType?: string;
  readonly count: number;
  /** the model ref as the user gave it (its folder holds tokenizer.json, config.json) */
  readonly modelRef: string;
  readonly registry: Registry;
  /** the dataset is --calib-dataset's: a misfit is calibration's error (said as such), and the description says in-sample */
  readonly fromCalibration?: boolean;
}

/** A batch feed [n, ...] as n feeds of one image [1, ...] (views, no copy). */
function singleImages(feeds: Readonly<Record<string, HostTensor>>): Record<string, HostTensor>[] {
  const [name, t] = Object.entries(feeds)[0];
  const n = t.dims[0] as number;
  const per = t.data.length / n;
  return Array.from({ length: n }, (_, i) => ({
    [name]: { ...t, data: (t.data as Float32Array).subarray(i * per, (i + 1) * per), dims: [1, ...t.dims.slice(1)] },
  }));
}

export async function datasetProbes(
  model: OnnxModel,
  options: DatasetProbeOptions,
  ctx: RunContext,
): Promise<ProbePlan> {
  try {
    const source = createCalibration(
      {
        dataset: options.dataset,
        datasetType: options.datasetType,
        samples: options.count,
        seqlen: PROBE_DATASET_SEQLEN,
        seqlenGiven: false,
        model: options.modelRef,
        registry: options.registry,
      },
      ctx,
    );
    const set = await source.load();
    const origin = options.fromCalibration
      ? ', the --calib-dataset data (in-sample for data-aware methods; --probe-dataset names held-out data)'
      : '';
    if (set.info.kind === 'image') {
      // one probe per image, as --probes counts them (calibration batches them by 16)
      const feeds = set.samples.flatMap((s) => (s.kind === 'feeds' ? singleImages(s.feeds) : []));
      return {
        feeds,
        description: `${feeds.length} images from ${options.dataset} (${set.info.provider ?? 'images'}), drawn with seed ${set.info.seed}${origin}`,
      };
    }
    const specs = inputSpecs(model.inputs, new Set(model.initializerNames()));
    const feeds = set.samples.map((s: (typeof set.samples)[number]) => {
      if (s.kind === 'feeds') return s.feeds;
      return buildFeeds(
        specs,
        { batch: 1, length: s.ids.length, inputs: s.ids, targets: new Int32Array(s.ids.length) },
        set.config,
      );
    });
    return {
      feeds,
      description: `${feeds.length} windows of ${set.info.seqlen} tokens from ${options.dataset} (${set.info.provider ?? 'text'}), drawn with seed ${set.info.seed}${origin}`,
    };
  } catch (e) {
    if (isUserError(e) && options.fromCalibration) throw e; // the calibration would refuse it the same way: said as calibration's
    if (isUserError(e))
      throw new UserError(e.code, `--probe-dataset: ${e.message}`, {
        hint:
          e.hint ??
          'pass a text dataset for a language model or an image dataset for an image model, or leave --probe-dataset out to probe with random inputs',
      });
    throw e;
  }
}
