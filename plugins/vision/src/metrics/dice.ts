/**
 * Metric `dice`: binary segmentation quality on an image-mask dataset. The prediction is
 * `logit > --threshold` (default: config.json "threshold", else 0, i.e. sigmoid > 0.5) for a model
 * with one output channel, or the argmax of two channels (background, foreground). Reports the set
 * Dice over all pixels (the headline) and the mean per-image Dice, with the integer sums behind both.
 */
import { ErrorCodes, UserError, throwIfAborted, typedParams } from '@mc-kit/core';
import type {
  HostTensor,
  ImageMaskDataset,
  LoadedModel,
  Metric,
  MetricResult,
  ParamSpec,
  Params,
  RunContext,
} from '@mc-kit/core';
import { PREPROCESS_PARAMS, preprocess, preprocessFromParams } from '../preprocess.js';
import { DiceCounter, meanImageDice, setDice } from './dice-counter.js';
import { INPUT_PARAM, pickName, runBatch } from './session-io.js';

/** Bump when scores can change for the same model and data (STYLE.md §10). */
export const DICE_VERSION = 1;

const PARAMS = Object.freeze([
  {
    name: 'threshold',
    type: 'number',
    description:
      'foreground where the logit is above this (default: config.json "threshold", else 0 = sigmoid 0.5); one-channel outputs only',
  },
  { name: 'batch-size', type: 'integer', description: 'images per model run', default: 64, min: 1, max: 4096 },
  INPUT_PARAM,
  {
    name: 'output',
    type: 'string',
    description: "model output holding the mask logits ('' = the first output)",
    default: '',
  },
  ...PREPROCESS_PARAMS,
] as const satisfies readonly ParamSpec[]);
const diceParams = typedParams(PARAMS);

function resolveThreshold(given: number | undefined, config: Record<string, unknown> | undefined): number {
  if (given !== undefined) {
    if (!Number.isFinite(given))
      throw new UserError(ErrorCodes.BAD_PARAM, `--threshold must be a finite number (got ${given})`);
    return given;
  }
  return typeof config?.threshold === 'number' && Number.isFinite(config.threshold) ? config.threshold : 0;
}

/** How the output is read: one logit per pixel, or two channels compared. */
type Decision = { readonly channels: 1 } | { readonly channels: 2 };

function decisionFor(out: HostTensor, count: number, ds: ImageMaskDataset, output: string): Decision {
  if (out.type !== 'float32')
    throw new UserError(ErrorCodes.UNSUPPORTED, `output ${output} is ${out.type}; dice reads float32 logits`, {
      hint: 'choose the logits output with --output',
    });
  const pixels = ds.height * ds.width;
  const d = out.dims;
  const spatialOk = d[0] === count && d[d.length - 2] === ds.height && d[d.length - 1] === ds.width;
  if (spatialOk && (d.length === 3 || (d.length === 4 && d[1] === 1))) return { channels: 1 };
  if (spatialOk && d.length === 4 && d[1] === 2) return { channels: 2 };
  throw new UserError(
    ErrorCodes.BAD_MODEL,
    `output ${output} has shape [${d.join(', ')}]; dice needs [${count}, 1, ${ds.height}, ${ds.width}] logits (or 2 channels: background, foreground)`,
    {
      hint:
        out.data.length === count * pixels
          ? 'the output is not laid out as NCHW masks of the dataset size'
          : 'evaluate on a dataset of the size the model was trained on, or choose the mask output with --output',
    },
  );
}

export class DiceMetric implements Metric<'image-mask'> {
  readonly id = 'dice';
  readonly summary = 'Dice of a binary segmentation model: over all pixels (2|A∩B|/(|A|+|B|)) and mean per image';
  readonly datasetKinds = ['image-mask'] as const;
  readonly params = PARAMS;

  async evaluate(model: LoadedModel, ds: ImageMaskDataset, params: Params, ctx: RunContext): Promise<MetricResult> {
    const p = diceParams(params);
    const batchSize = p['batch-size'];
    const threshold = resolveThreshold(p.threshold, model.config);
    const spec = preprocessFromParams(model.config, params, ds.channels);
    const session = await ctx.sessions.create(model.path);
    const task = ctx.progress.start('dice', ds.size);
    const counter = new DiceCounter();
    const pixels = ds.height * ds.width;
    let decision: Decision | undefined;
    try {
      const input = pickName(session.inputNames, p.input, 'input', 'dice');
      const output = pickName(session.outputNames, p.output, 'output', 'dice');
      for await (const batch of ds.batches(batchSize)) {
        throwIfAborted(ctx.signal);
        const dims = [batch.count, ds.channels, ds.height, ds.width];
        const x = preprocess(
          batch.pixels,
          { count: batch.count, channels: ds.channels, height: ds.height, width: ds.width },
          spec,
        );
        const out = await runBatch(session, input, output, { type: 'float32', data: x, dims }, 'dice');
        decision = decisionFor(out, batch.count, ds, output);
        const logits = out.data as Float32Array;
        let nan = 0;
        if (decision.channels === 1) {
          counter.add((i) => logits[i] > threshold, batch.masks, batch.count, pixels);
          for (let i = 0; i < batch.count * pixels; i++) if (Number.isNaN(logits[i])) nan++;
        } else {
          // [n, 2, H, W]: foreground where channel 1 beats channel 0 (a tie is background)
          const at = (i: number) => Math.floor(i / pixels) * 2 * pixels + (i % pixels);
          counter.add((i) => logits[at(i) + pixels] > logits[at(i)], batch.masks, batch.count, pixels);
        }
        if (nan > 0) counter.noteNaN(nan);
        task.tick(batch.count);
      }
      throwIfAborted(ctx.signal);
      const s = counter.sums();
      if (s.images === 0) throw new UserError(ErrorCodes.BAD_DATASET, `${ds.ref} has no samples`);
      if (s.nanPixels > 0)
        ctx.log.warn(`dice: ${s.nanPixels} of ${s.pixels} pixels had NaN logits and count as background`);
      const dice = setDice(s);
      task.done(
        `dice: ${dice.toFixed(4)} over ${s.images} images (mean per image ${meanImageDice(s).value.toFixed(4)})`,
      );
      return {
        metric: 'dice',
        metricVersion: DICE_VERSION,
        values: {
          dice: { value: dice, higherIsBetter: true },
          mean_image_dice: { ...meanImageDice(s), higherIsBetter: true },
        },
        sums: { ...s },
        samples: s.images,
        details: {
          threshold: decision?.channels === 2 ? null : threshold,
          decision: decision?.channels === 2 ? 'argmax of 2 channels' : `logit > ${threshold}`,
          emptyImages:
            'an image with no predicted and no true foreground scores 1 in the per-image mean (sums.emptyBoth counts them)',
          preprocess: spec,
        },
      };
    } catch (e) {
      task.fail('dice: failed');
      throw e;
    } finally {
      await session.release();
    }
  }
}
