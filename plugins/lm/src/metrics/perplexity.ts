/**
 * perplexity, in two modes whose numbers must never share a table (spec bpc-perplexity.md §B):
 *  - classic (default): records joined with the dataset's join ("\n\n" for WikiText-2 rows),
 *    tokenized once, floor(N / seqlen) non-overlapping chunks, seqlen - 1 targets each, tail
 *    dropped; PPL = exp(mean of per-chunk mean NLL) = exp(Σ NLL / Σ targets) (equal chunks).
 *  - strided: the Hugging Face guide, windows of seqlen every --stride, the tail scored; PPL =
 *    exp(Σ NLL / Σ targets), exact token weighting.
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
import { prefixed } from './bpc.js';
import { checkContext, LM_RUN_PARAMS, openLm } from './lm-setup.js';
import { mergeSubsets, shardResult, type SubsetScore, type SubsetShard } from './lm-shards.js';
import { scoreShard, scoreWindows } from './score.js';
import { streamJoined } from './text-stream.js';
import { classicChunks, stridedWindows } from './windows.js';

export const PERPLEXITY_PARAMS = Object.freeze([
  {
    name: 'mode',
    type: 'enum',
    options: ['classic', 'strided'],
    description:
      'classic: non-overlapping chunks, tail dropped (SparseGPT/Wanda/GPTQ); strided: the Hugging Face guide',
    default: 'classic',
  },
  {
    name: 'seqlen',
    type: 'integer',
    description: 'tokens per chunk (classic) or per window (strided); the papers use 2048',
    default: 2048,
    min: 2,
    max: 1_000_000,
  },
  {
    name: 'stride',
    type: 'integer',
    description: 'strided mode: tokens between window starts',
    default: 512,
    min: 1,
    max: 1_000_000,
    onlyWith: { mode: ['strided'] },
    atMost: { param: 'seqlen', why: 'a larger stride leaves the tokens between windows unscored' },
  },
  ...LM_RUN_PARAMS,
] as const satisfies readonly ParamSpec[]);

const perplexityParams = typedParams(PERPLEXITY_PARAMS);

export class PerplexityMetric implements Metric<'text'> {
  readonly id = 'perplexity';
  readonly summary = 'perplexity: classic non-overlapping chunks (default, seqlen 2048) or the strided HF guide';
  readonly datasetKinds = ['text'] as const;
  readonly params = PERPLEXITY_PARAMS;

  async evaluate(
    model: LoadedModel,
    data: TextDataset,
    params: Params,
    ctx: RunContext,
    inputs?: MetricInputs,
  ): Promise<MetricResult> {
    const p = perplexityParams(params);
    const mode = p.mode;
    const seqlen = p.seqlen;
    const batchSize = p['batch-size'];
    const shard = inputs?.shard;
    const { lm, tokenizer } = await openLm(model, ctx, p.loss);
    try {
      checkContext(lm, seqlen, '--seqlen', `e.g. --seqlen ${lm.contextLength}`);
      const details = {
        mode,
        seqlen,
        stride: mode === 'strided' ? p.stride : undefined,
        tokenizer: tokenizer.digest,
      };
      const scored: SubsetScore[] = [];
      const shards: SubsetShard[] = [];
      for (const subset of data.subsets) {
        const stream = streamJoined(subset.records, data.join, tokenizer);
        const plan =
          mode === 'classic'
            ? classicChunks(stream.ids.length, seqlen)
            : stridedWindows(stream.ids.length, seqlen, p.stride);
        if (plan.windows.length === 0) {
          throw new UserError(
            ErrorCodes.BAD_DATASET,
            `${subset.name}: ${stream.ids.length} tokens is shorter than one chunk of ${seqlen}`,
            { hint: 'use a larger corpus or a smaller --seqlen' },
          );
        }
        const stats = {
          tokens: stream.ids.length,
          unscored_tail: plan.tail,
          characters: stream.characters,
          records: subset.records.length,
        };
        if (shard) {
          const task = ctx.progress.start(`perplexity ${subset.name} shard ${shard.index + 1}/${shard.count}`);
          const batches = await scoreShard(lm, stream.ids, plan.windows, batchSize, shard, ctx, task);
          task.done();
          shards.push({ name: subset.name, stats, batches });
          continue;
        }
        const task = ctx.progress.start(`perplexity ${subset.name}`, plan.windows.length);
        const s = await scoreWindows(lm, stream.ids, plan.windows, batchSize, ctx, task, subset.name);
        task.done(
          `perplexity ${subset.name} (${mode}): ${Math.exp(s.totalNats / s.scored).toFixed(4)} (${plan.windows.length} windows, ${s.scored} tokens scored)`,
        );
        scored.push({ name: subset.name, stats, sums: s });
      }
      return shard ? shardResult('perplexity', shards, shard, details) : perplexityResult(scored, details);
    } finally {
      await lm.release();
    }
  }

  mergeShards(parts: readonly MetricResult[]): MetricResult {
    return perplexityResult(mergeSubsets(parts, 'perplexity'), { ...parts[0].details });
  }
}

/** exp(Σ NLL / Σ targets) per subset, from its sums. */
function perplexityResult(scored: readonly SubsetScore[], details: Record<string, unknown>): MetricResult {
  const multi = scored.length > 1;
  const values: Record<string, MetricValue> = {};
  const sums: Record<string, number> = {};
  let samples = 0;
  for (const { name, stats, sums: s } of scored) {
    values[multi ? name : 'perplexity'] = { value: Math.exp(s.totalNats / s.scored), higherIsBetter: false };
    Object.assign(
      sums,
      prefixed(multi ? name : '', {
        total_nats: s.totalNats,
        scored_tokens: s.scored,
        windows: s.windows,
        tokens: stats.tokens,
        unscored_tail: stats.unscored_tail,
        characters: stats.characters,
      }),
    );
    samples += stats.records;
  }
  return { metric: 'perplexity', metricVersion: 1, values, sums, samples, details };
}
