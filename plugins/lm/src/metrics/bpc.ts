/**
 * bpc: bits per character with the sliding-window protocol of "Compression Represents Intelligence
 * Linearly" (spec bpc-perplexity.md §A): records tokenized one by one (BOS per record where the
 * tokenizer adds one), one stream, windows of block + 1 tokens every stride, window 0 scores all its
 * targets and each later one its last `stride`; BPC = Σ NLL (nats) / (code points · ln 2), divided once.
 */
import {
  ErrorCodes,
  UserError,
  type LoadedModel,
  type Metric,
  type MetricInputs,
  type MetricResult,
  type MetricValue,
  type ParamSpec,
  type Params,
  type RunContext,
  typedParams,
  type TextDataset,
} from '@mc-kit/core';
import { checkContext, LM_RUN_PARAMS, openLm } from './lm-setup.js';
import { mergeSubsets, shardResult, type SubsetScore, type SubsetShard } from './lm-shards.js';
import { scoreShard, scoreWindows } from './score.js';
import { streamPerRecord } from './text-stream.js';
import { slidingWindows } from './windows.js';

export const BPC_PARAMS = Object.freeze([
  {
    name: 'block-size',
    type: 'integer',
    description: 'tokens the model sees per window (the reference: 1900, "context window unification")',
    default: 1900,
    min: 2,
    max: 1_000_000,
  },
  {
    name: 'stride',
    type: 'integer',
    description: 'tokens between window starts; each later window scores its last `stride` targets',
    default: 512,
    min: 1,
    max: 1_000_000,
    atMost: {
      param: 'block-size',
      why: 'a larger stride leaves the tokens between windows unscored while their characters still count',
    },
  },
  ...LM_RUN_PARAMS,
] as const satisfies readonly ParamSpec[]);

/** Also kld's reader: KLD_PARAMS are these with another description. */
export const bpcParams = typedParams(BPC_PARAMS);

export class BpcMetric implements Metric<'text'> {
  readonly id = 'bpc';
  readonly summary = 'bits per character, sliding windows (llm-compression protocol; block 1900, stride 512)';
  readonly datasetKinds = ['text'] as const;
  readonly params = BPC_PARAMS;

  async evaluate(
    model: LoadedModel,
    data: TextDataset,
    params: Params,
    ctx: RunContext,
    inputs?: MetricInputs,
  ): Promise<MetricResult> {
    const p = bpcParams(params);
    const block = p['block-size'];
    const stride = p.stride;
    const batchSize = p['batch-size'];
    const shard = inputs?.shard;
    const { lm, tokenizer } = await openLm(model, ctx, p.loss);
    try {
      checkContext(
        lm,
        block,
        '--block-size',
        `e.g. --block-size ${lm.contextLength} --stride ${Math.max(1, Math.floor((lm.contextLength ?? 4) / 4))}`,
      );
      const details: Record<string, unknown> = {
        tokenizer: tokenizer.digest,
        bosPerRecord: tokenizer.addsBos,
        blockSize: block,
        stride,
      };
      const scored: SubsetScore[] = [];
      const shards: SubsetShard[] = [];
      for (const subset of data.subsets) {
        const stream = streamPerRecord(subset.records, tokenizer);
        const plan = slidingWindows(stream.ids.length, block, stride);
        if (plan.windows.length === 0) {
          throw new UserError(
            ErrorCodes.BAD_DATASET,
            `${subset.name}: ${stream.ids.length} tokens is shorter than one window (${block + 1} tokens)`,
            {
              hint: 'use a larger corpus or a smaller --block-size (the reference would report a BPC of 0 here)',
            },
          );
        }
        const stats = {
          characters: stream.characters,
          tokens: stream.ids.length,
          unscored_tail: plan.tail,
          records: stream.records,
        };
        if (shard) {
          const task = ctx.progress.start(`bpc ${subset.name} shard ${shard.index + 1}/${shard.count}`);
          const batches = await scoreShard(lm, stream.ids, plan.windows, batchSize, shard, ctx, task);
          task.done();
          shards.push({ name: subset.name, stats, batches });
          continue;
        }
        const task = ctx.progress.start(`bpc ${subset.name}`, plan.windows.length);
        const s = await scoreWindows(lm, stream.ids, plan.windows, batchSize, ctx, task, subset.name);
        const bpc = s.totalNats / (stream.characters * Math.LN2);
        task.done(`bpc ${subset.name}: ${bpc.toFixed(6)} (${plan.windows.length} windows, ${s.scored} tokens scored)`);
        scored.push({ name: subset.name, stats, sums: s });
      }
      return shard ? shardResult('bpc', shards, shard, details) : bpcResult(scored, details);
    } finally {
      await lm.release();
    }
  }

  mergeShards(parts: readonly MetricResult[]): MetricResult {
    return bpcResult(mergeSubsets(parts, 'bpc'), { ...parts[0].details });
  }
}

/** The figures from each subset's sums, one division each (STYLE.md §11). */
function bpcResult(scored: readonly SubsetScore[], details: Record<string, unknown>): MetricResult {
  const multi = scored.length > 1;
  const values: Record<string, MetricValue> = {};
  const sums: Record<string, number> = {};
  let samples = 0;
  for (const { name, stats, sums: s } of scored) {
    values[multi ? name : 'bpc'] = { value: s.totalNats / (stats.characters * Math.LN2), higherIsBetter: false };
    Object.assign(
      sums,
      prefixed(multi ? name : '', {
        total_nats: s.totalNats,
        scored_tokens: s.scored,
        characters: stats.characters,
        windows: s.windows,
        tokens: stats.tokens,
        unscored_tail: stats.unscored_tail,
        records: stats.records,
      }),
    );
    samples += stats.records;
  }
  if (multi) {
    const all = scored.map((s) => values[s.name].value);
    values.average = { value: all.reduce((a, b) => a + b, 0) / all.length, higherIsBetter: false };
    details.average = 'unweighted mean of the subsets (as OpenCompass reports it)';
  }
  return { metric: 'bpc', metricVersion: 1, values, sums, samples, details };
}

export function prefixed(prefix: string, o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [prefix ? `${prefix}.${k}` : k, v]));
}
