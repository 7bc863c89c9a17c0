/**
 * The metric: id, the dataset kinds it scores, parameters, and evaluate(). It runs the model through
 * ctx.sessions (mc's onnxruntime sessions: --device, errors and release handled once, in core).
 *
 * REPLACE: the id is what users pass to `mc eval --metric`; the params become its flags; evaluate()
 * is your metric. `Metric<'image-class'>` makes evaluate receive an ImageClassDataset; declare the
 * kinds you score there and in datasetKinds (several: `Metric<'text' | 'image-class'>`, then tell
 * them apart by `data.kind`). Bump CROSS_ENTROPY_VERSION whenever scores can change for the same model and data.
 */
import {
  ErrorCodes,
  UserError,
  throwIfAborted,
  type ImageClassDataset,
  type LoadedModel,
  type Metric,
  type MetricResult,
  typedParams,
  type ParamSpec,
  type Params,
  type RunContext,
} from '@mc-kit/core';
import { addRows, emptySums, meanNll } from './math.js';

export const CROSS_ENTROPY_VERSION = 1;

export const CROSS_ENTROPY_PARAMS = Object.freeze([
  { name: 'batch-size', type: 'integer', min: 1, max: 4096, default: 64, description: 'images per model run' },
  {
    name: 'rescale',
    type: 'number',
    min: 0,
    default: 1 / 255,
    description: 'factor from uint8 pixels to the float32 the model takes (normalisation inside the graph stays there)',
  },
] as const satisfies readonly ParamSpec[]);

/** The typed view of the parsed params (mc applied the defaults above): no `as number`, no second default. */
const crossEntropyParams = typedParams(CROSS_ENTROPY_PARAMS);

/** uint8 pixels -> float32 model input. REPLACE with the preprocessing your models need. */
function toInput(pixels: Uint8Array, rescale: number): Float32Array {
  const x = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) x[i] = pixels[i] * rescale;
  return x;
}

export class CrossEntropyMetric implements Metric<'image-class'> {
  readonly id = 'cross-entropy';
  readonly summary = 'mean negative log-likelihood of the true class (nats) of an image classifier';
  readonly datasetKinds = ['image-class'] as const;
  readonly params = CROSS_ENTROPY_PARAMS;

  // mc checks the dataset's kind against datasetKinds before calling evaluate: ds is an ImageClassDataset
  async evaluate(model: LoadedModel, ds: ImageClassDataset, params: Params, ctx: RunContext): Promise<MetricResult> {
    const p = crossEntropyParams(params);
    const session = await ctx.sessions.create(model.path);
    const task = ctx.progress.start(this.id, ds.size);
    try {
      if (session.inputNames.length !== 1) {
        throw new UserError(
          ErrorCodes.BAD_MODEL,
          `${this.id} feeds one image tensor; the model has inputs ${session.inputNames.join(', ')}`,
        );
      }
      const [input] = session.inputNames;
      const [output] = session.outputNames;
      const sums = emptySums();
      for await (const batch of ds.batches(p['batch-size'])) {
        throwIfAborted(ctx.signal);
        const dims = [batch.count, ds.channels, ds.height, ds.width];
        const { [output]: y } = await session.run(
          { [input]: { type: 'float32', data: toInput(batch.pixels, p.rescale), dims } },
          [output],
        );
        if (y.type !== 'float32' || y.dims.length !== 2 || y.dims[0] !== batch.count || y.dims[1] < ds.labels.length) {
          throw new UserError(
            ErrorCodes.BAD_MODEL,
            `output ${output} is ${y.type} [${y.dims.join(', ')}]; ${this.id} needs float32 logits [${batch.count}, >= ${ds.labels.length}]`,
          );
        }
        addRows(sums, y.data as Float32Array, y.dims[1], batch.labels, batch.count);
        task.tick(batch.count);
      }
      const nll = meanNll(sums);
      task.done(`${this.id}: ${nll.value.toFixed(4)} nats over ${sums.samples} samples`);
      return {
        metric: this.id,
        metricVersion: CROSS_ENTROPY_VERSION,
        values: { nll: { ...nll, higherIsBetter: false } },
        sums: { nll_sum: sums.nll, nll_squared_sum: sums.nllSquared, samples: sums.samples },
        samples: sums.samples,
        details: { rescale: p.rescale, input, output },
      };
    } catch (e) {
      task.fail(`${this.id}: failed`);
      throw e;
    } finally {
      await session.release();
    }
  }
}
