/**
 * Metric `accuracy`: top-1 and top-k (k = min(5, classes)) of an image classifier on an
 * image-class dataset. One session, batches streamed from the dataset, sums kept and divided once.
 */
import { ErrorCodes, UserError, throwIfAborted } from '@mc-kit/core';
import type {
  Dataset,
  HostTensor,
  ImageClassDataset,
  LoadedModel,
  Metric,
  MetricResult,
  ParamSpec,
  Params,
  RunContext,
} from '@mc-kit/core';
import { PREPROCESS_PARAMS, preprocess, preprocessFromParams, type ResolvedSpec } from '../preprocess.js';
import { INPUT_PARAM, pickName, runBatch } from './session-io.js';
import { TopKCounter, proportion, type TopKSums } from './topk.js';

/** Bump when scores can change for the same model and data (STYLE.md §10). */
export const ACCURACY_VERSION = 1;

const PARAMS: readonly ParamSpec[] = [
  { name: 'batch-size', type: 'integer', description: 'images per model run', default: 256, min: 1, max: 4096 },
  INPUT_PARAM,
  {
    name: 'output',
    type: 'string',
    description: "model output holding the logits ('' = the first output)",
    default: '',
  },
  ...PREPROCESS_PARAMS,
];

function asImageClass(data: Dataset): ImageClassDataset {
  if (data.kind !== 'image-class' || typeof data.batches !== 'function') {
    throw new UserError(
      ErrorCodes.WRONG_DATASET_KIND,
      `accuracy scores image-class datasets; ${data.ref} is ${data.kind}`,
      { hint: 'pass an image-classification dataset folder' },
    );
  }
  return data as unknown as ImageClassDataset;
}

/** When config.json states the image size, a dataset of another size is the wrong dataset. */
function checkConfigSize(config: Record<string, unknown> | undefined, ds: ImageClassDataset): void {
  const pre = config?.preprocessing as { size?: { height?: unknown; width?: unknown }; channels?: unknown } | undefined;
  const h = pre?.size?.height;
  const w = pre?.size?.width;
  const c = pre?.channels;
  if (
    (typeof h === 'number' && h !== ds.height) ||
    (typeof w === 'number' && w !== ds.width) ||
    (typeof c === 'number' && c !== ds.channels)
  ) {
    throw new UserError(
      ErrorCodes.WRONG_DATASET_KIND,
      `the model takes ${c ?? '?'}x${h ?? '?'}x${w ?? '?'} images (config.json), ${ds.ref} has ${ds.channels}x${ds.height}x${ds.width}`,
      { hint: 'evaluate on a dataset of the size the model was trained on' },
    );
  }
}

/** Logits per sample; the output must be float32 with the batch on its first axis. */
function logitWidth(out: HostTensor, count: number, output: string): number {
  if (out.type !== 'float32')
    throw new UserError(ErrorCodes.UNSUPPORTED, `output ${output} is ${out.type}; accuracy reads float32 logits`, {
      hint: 'choose the logits output with --output',
    });
  if (out.dims[0] !== count || out.data.length % count !== 0) {
    throw new UserError(
      ErrorCodes.BAD_MODEL,
      `output ${output} has shape [${out.dims.join(', ')}] for a batch of ${count}`,
      { hint: 'the logits output must be [batch, classes]; choose it with --output' },
    );
  }
  return out.data.length / count;
}

function newCounter(width: number, ds: ImageClassDataset, output: string): TopKCounter {
  if (width < ds.labels.length) {
    throw new UserError(
      ErrorCodes.WRONG_DATASET_KIND,
      `output ${output} scores ${width} classes but ${ds.ref} has ${ds.labels.length} labels`,
      { hint: 'the dataset is not one this classifier was trained for' },
    );
  }
  return new TopKCounter(width, ds.labels.length);
}

function toResult(s: TopKSums, k: number, ds: ImageClassDataset, spec: ResolvedSpec): MetricResult {
  const top1 = proportion(s.correctTop1, s.samples);
  const top5 = proportion(s.correctTopK, s.samples);
  return {
    metric: 'accuracy',
    metricVersion: ACCURACY_VERSION,
    values: { top1: { ...top1, higherIsBetter: true }, top5: { ...top5, higherIsBetter: true } },
    sums: { correct_top1: s.correctTop1, correct_top5: s.correctTopK, samples: s.samples },
    samples: s.samples,
    details: {
      k,
      classes: ds.labels.length,
      perClass: ds.labels.map((label, i) => ({ label, correct: s.perClassCorrect[i], count: s.perClassCount[i] })),
      // rows: true label, columns: predicted class (same tie rule as top-1)
      ...(s.confusion ? { confusion: s.confusion } : {}),
      ...(s.nanRows ? { nanSamples: s.nanRows } : {}),
      preprocess: spec,
      // per-sample top-1 hits (item i = the dataset's i-th sample): mc report pairs two models' scores for a bootstrap interval of the delta
      itemScores: s.top1Hits,
    },
  };
}

export class AccuracyMetric implements Metric {
  readonly id = 'accuracy';
  readonly summary = 'top-1 and top-5 accuracy of an image classifier';
  readonly datasetKinds = ['image-class'] as const;
  readonly params = PARAMS;

  async evaluate(model: LoadedModel, data: Dataset, params: Params, ctx: RunContext): Promise<MetricResult> {
    const ds = asImageClass(data);
    const batchSize = (params['batch-size'] as number | undefined) ?? 256;
    const spec = preprocessFromParams(model.config, params, ds.channels);
    checkConfigSize(model.config, ds);
    const session = await ctx.sessions.create(model.path);
    const task = ctx.progress.start('accuracy', ds.size);
    try {
      const input = pickName(session.inputNames, (params.input as string | undefined) ?? '', 'input', 'accuracy');
      const output = pickName(session.outputNames, (params.output as string | undefined) ?? '', 'output', 'accuracy');
      let counter: TopKCounter | undefined;
      for await (const batch of ds.batches(batchSize)) {
        throwIfAborted(ctx.signal);
        const dims = [batch.count, ds.channels, ds.height, ds.width];
        const x = preprocess(
          batch.pixels,
          { count: batch.count, channels: ds.channels, height: ds.height, width: ds.width },
          spec,
        );
        const out = await runBatch(session, input, output, { type: 'float32', data: x, dims }, 'accuracy');
        const width = logitWidth(out, batch.count, output);
        counter ??= newCounter(width, ds, output);
        if (width !== counter.width)
          throw new UserError(
            ErrorCodes.BAD_MODEL,
            `output ${output} changed width between batches (${counter.width} -> ${width})`,
          );
        counter.add(out.data as Float32Array, batch.labels, batch.count);
        task.tick(batch.count);
      }
      throwIfAborted(ctx.signal);
      if (!counter) throw new UserError(ErrorCodes.BAD_DATASET, `${ds.ref} has no samples`);
      const s = counter.sums();
      if (s.nanRows) ctx.log.warn(`accuracy: ${s.nanRows} of ${s.samples} samples had NaN logits and count as wrong`);
      const result = toResult(s, counter.k, ds, spec);
      task.done(`accuracy: top-1 ${(result.values.top1.value * 100).toFixed(2)}% (${s.correctTop1}/${s.samples})`);
      return result;
    } catch (e) {
      task.fail('accuracy: failed');
      throw e;
    } finally {
      await session.release();
    }
  }
}
