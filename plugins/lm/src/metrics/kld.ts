/**
 * kld: KL divergence of the model from its dense baseline (eval's --baseline), per scored token, over
 * exactly bpc's windows (the same --block-size / --stride, declared once in BPC_PARAMS), with the
 * statistics of llama.cpp's `llama-perplexity --kl-divergence` (kld-stats.ts). Both models run window
 * by window through core's KL head (loadKlPair): per token, five numbers cross to JS, never logits.
 * Unlike llama.cpp, which scores the second half of each non-overlapping chunk, every target bpc
 * scores is scored here, once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeFloats,
  encodeFloats,
  ErrorCodes,
  loadKlPair,
  loadTokenizer,
  openCheckpoint,
  shardRange,
  shardRecords,
  throwIfAborted,
  tokenizerDigest,
  UserError,
  type EvalShard,
  type KlPair,
  type LoadedModel,
  type Metric,
  type MetricInputs,
  type MetricResult,
  type Params,
  type ProgressTask,
  type RunContext,
  type TextDataset,
} from '@mc-kit/core';
import { BPC_PARAMS, bpcParams, prefixed } from './bpc.js';
import { addToken, emptyKldSums, kldValues, mergeKldSums, type KldSums } from './kld-stats.js';
import { checkContext } from './lm-setup.js';
import { batchBounds, batchTokens, windowBatches } from './score.js';
import { streamPerRecord } from './text-stream.js';
import { slidingWindows, type Window } from './windows.js';

/** bpc's own window and run parameters, with --loss saying what it means here */
export const KLD_PARAMS = Object.freeze(
  BPC_PARAMS.map((p) =>
    p.name === 'loss'
      ? {
          ...p,
          description:
            "fused: both models' logits reduced chunk by chunk in the graph (memory flat in the vocabulary); logits: both [T x V] blocks to JS (the reference)",
        }
      : p,
  ),
);

export class KldMetric implements Metric<'text'> {
  readonly id = 'kld';
  readonly summary =
    "KL divergence from the dense model (--baseline) per token over bpc's windows: mean ± error, p99, max, Δp, same-top agreement (llama-perplexity's definitions)";
  readonly datasetKinds = ['text'] as const;
  readonly params = KLD_PARAMS;
  readonly baseline = 'required' as const;

  async evaluate(
    model: LoadedModel,
    data: TextDataset,
    params: Params,
    ctx: RunContext,
    inputs?: MetricInputs,
  ): Promise<MetricResult> {
    const base = inputs?.baseline;
    if (!base) {
      throw new UserError(
        ErrorCodes.BAD_PARAM,
        'kld compares the model with its dense baseline: --baseline is missing',
        { hint: 'e.g. mc eval int4/ --metric kld --baseline dense/ --dataset valid.jsonl' },
      );
    }
    const p = bpcParams(params);
    const block = p['block-size'];
    const stride = p.stride;
    const tokenizer = await loadModelTokenizer(model);
    await checkSameTokenizer(base, tokenizer.digest);
    const pair = await loadKlPair(base, model, ctx, { path: p.loss });
    try {
      checkContext(
        pair,
        block,
        '--block-size',
        `e.g. --block-size ${pair.contextLength} --stride ${Math.max(1, Math.floor((pair.contextLength ?? 4) / 4))}`,
      );
      const details = {
        tokenizer: tokenizer.digest,
        blockSize: block,
        stride,
        baseline: { ref: base.ref, sha256: base.sha256 },
        // how the two models ran: 'sliced' (both heads chunked), 'full' (the model's head computed whole, e.g. a DequantizeLinear weight), 'logits' (both in JS)
        head: pair.head,
        chunk: pair.chunk,
        definitions:
          'llama.cpp llama-perplexity --kl-divergence: KL(dense ‖ model) per token, Δp = p(target) − p_dense(target), same top = equal argmax',
      };
      const batchSize = p['batch-size'];
      const shard = inputs?.shard;
      const perToken: number[] = [];
      const scored: KlSubset[] = [];
      const shards: KlSubsetShard[] = [];
      for (const subset of data.subsets) {
        const stream = streamPerRecord(subset.records, tokenizer);
        const plan = slidingWindows(stream.ids.length, block, stride);
        if (plan.windows.length === 0) {
          throw new UserError(
            ErrorCodes.BAD_DATASET,
            `${subset.name}: ${stream.ids.length} tokens is shorter than one window (${block + 1} tokens)`,
            { hint: 'use a larger corpus or a smaller --block-size' },
          );
        }
        const stats = {
          windows: plan.windows.length,
          tokens: stream.ids.length,
          unscored_tail: plan.tail,
          records: stream.records,
        };
        if (shard) {
          const task = ctx.progress.start(`kld ${subset.name} shard ${shard.index + 1}/${shard.count}`);
          const batches = await scoreKlShard(pair, stream.ids, plan.windows, batchSize, shard, ctx, task);
          task.done();
          shards.push({ name: subset.name, stats, batches });
          continue;
        }
        const task = ctx.progress.start(`kld ${subset.name}`, plan.windows.length);
        const sub = await scoreSubset(pair, stream.ids, plan.windows, batchSize, subset.name, ctx, task, perToken);
        task.done(`kld ${subset.name}: ${plan.windows.length} windows, ${sub.count} tokens scored`);
        scored.push({ name: subset.name, stats, sums: sub });
      }
      if (shard) {
        const windows = shards.reduce((n, s) => n + s.batches.reduce((m, b) => m + b.windows, 0), 0);
        return {
          metric: 'kld',
          metricVersion: 1,
          values: {},
          sums: {},
          samples: windows,
          details,
          shard: { ...shard, records: shards },
        };
      }
      return kldResult(scored, perToken, details);
    } finally {
      await pair.release();
    }
  }

  mergeShards(parts: readonly MetricResult[]): MetricResult {
    const shards = shardRecords<KlSubsetShard[]>(parts, 'kld');
    const perToken: number[] = [];
    const scored = shards[0].map((first, k) => {
      const sums = emptyKldSums();
      for (const s of shards) for (const b of s[k].batches) replayKlBatch(sums, b, perToken);
      return { name: first.name, stats: first.stats, sums };
    });
    return kldResult(scored, perToken, { ...parts[0].details });
  }
}

interface KlSubset {
  readonly name: string;
  /** windows, tokens, unscored_tail, records: the same in every shard */
  readonly stats: Record<string, number>;
  readonly sums: KldSums;
}

/** The figures from the subsets' sums (added in subset order) and every scored token's KL, in plan order. */
function kldResult(
  scored: readonly KlSubset[],
  perToken: readonly number[],
  details: Record<string, unknown>,
): MetricResult {
  let sums = emptyKldSums();
  const counts: Record<string, number> = {};
  let records = 0;
  for (const { name, stats, sums: sub } of scored) {
    sums = mergeKldSums(sums, sub);
    Object.assign(
      counts,
      prefixed(scored.length > 1 ? name : '', {
        windows: stats.windows,
        scored_tokens: sub.count,
        tokens: stats.tokens,
        unscored_tail: stats.unscored_tail,
        records: stats.records,
      }),
    );
    records += stats.records;
  }
  const values = kldValues(sums, Float64Array.from(perToken).sort());
  return { metric: 'kld', metricVersion: 1, values, sums: { ...sums, ...counts }, samples: records, details };
}

/** What a shard keeps of one batch: each scored token's KL, both NLLs (encodeFloats) and same-top flag ('1'/'0'), in order. */
interface KlBatchRecord {
  readonly windows: number;
  readonly kl: string;
  readonly nllBase: string;
  readonly nll: string;
  readonly sameTop: string;
}

interface KlSubsetShard {
  readonly name: string;
  readonly stats: Record<string, number>;
  readonly batches: readonly KlBatchRecord[];
}

/** A shard's batches (the batches a whole run makes, so the models see the same inputs) as records. */
async function scoreKlShard(
  pair: KlPair,
  ids: Int32Array,
  windows: readonly Window[],
  batchSize: number,
  shard: EvalShard,
  ctx: RunContext,
  task: ProgressTask,
): Promise<KlBatchRecord[]> {
  const bounds = [...batchBounds(windows, batchSize)];
  const { from, to } = shardRange(bounds.length, shard);
  const out: KlBatchRecord[] = [];
  for (const [i, j] of bounds.slice(from, to)) {
    throwIfAborted(ctx.signal);
    const batch = windows.slice(i, j);
    const tokens = batchTokens(ids, batch);
    const r = await pair.tokenKl(tokens);
    const kl: number[] = [];
    const nllBase: number[] = [];
    const nll: number[] = [];
    let sameTop = '';
    batch.forEach((w, b) => {
      for (let t = b * tokens.length + w.scoreFrom; t < (b + 1) * tokens.length; t++) {
        kl.push(r.kl[t]);
        nllBase.push(r.nllBase[t]);
        nll.push(r.nll[t]);
        sameTop += r.top[t] === r.topBase[t] ? '1' : '0';
      }
    });
    out.push({
      windows: batch.length,
      kl: encodeFloats(kl),
      nllBase: encodeFloats(nllBase),
      nll: encodeFloats(nll),
      sameTop,
    });
    task.tick(batch.length);
  }
  return out;
}

/** One recorded batch through addToken, as scoreSubset adds it. */
function replayKlBatch(sums: KldSums, b: KlBatchRecord, perToken: number[]): void {
  const kl = decodeFloats(b.kl);
  const nllBase = decodeFloats(b.nllBase);
  const nll = decodeFloats(b.nll);
  for (let i = 0; i < kl.length; i++) {
    addToken(sums, kl[i], nllBase[i], nll[i], b.sameTop[i] === '1');
    perToken.push(kl[i]);
  }
}

/** What eval --resume keeps after each batch: the subset's sums so far, the next window, and the batch's per-token KL (for the percentiles). */
interface Progress {
  readonly next: number;
  readonly sums: KldSums;
  readonly kl: number[];
}

/**
 * One subset's windows through the pair: its sums, and its per-token KL appended to `perToken`. A
 * resumed run restores the last checkpoint's sums and every checkpoint's KL values (JSON keeps a
 * double exactly), then adds the same batches in the same order: the figures equal an uninterrupted run's.
 */
async function scoreSubset(
  pair: KlPair,
  ids: Int32Array,
  windows: readonly Window[],
  batchSize: number,
  part: string,
  ctx: RunContext,
  task: ProgressTask,
  perToken: number[],
): Promise<KldSums> {
  const checkpoint = await openCheckpoint(ctx, part);
  const kept = checkpoint.records as Progress[];
  const last = kept.at(-1);
  const resumed = last !== undefined && last.next <= windows.length;
  const sums = resumed ? { ...last.sums } : emptyKldSums();
  if (resumed) {
    for (const r of kept) perToken.push(...r.kl);
    task.tick(last.next);
  }
  for (const { batch, tokens, next } of windowBatches(ids, windows, batchSize, resumed ? last.next : 0)) {
    throwIfAborted(ctx.signal);
    const r = await pair.tokenKl(tokens);
    const kl: number[] = [];
    batch.forEach((w, b) => {
      for (let t = b * tokens.length + w.scoreFrom; t < (b + 1) * tokens.length; t++) {
        addToken(sums, r.kl[t], r.nllBase[t], r.nll[t], r.top[t] === r.topBase[t]);
        kl.push(r.kl[t]);
      }
    });
    perToken.push(...kl);
    task.tick(batch.length);
    await checkpoint.append({ next, sums: { ...sums }, kl } satisfies Progress);
  }
  return sums;
}

async function loadModelTokenizer(model: LoadedModel) {
  if (!model.dir) {
    throw new UserError(
      ErrorCodes.FILE_NOT_FOUND,
      `no tokenizer for ${model.ref}: pass the model's folder (with tokenizer.json), not the bare .onnx file`,
      {
        hint: 'a language model is a folder laid out like a Hugging Face repo: model.onnx, tokenizer.json, tokenizer_config.json, config.json',
      },
    );
  }
  return loadTokenizer(model.dir);
}

/** Token-level KL between models that split the text differently compares nothing: refuse it when the baseline has a tokenizer of its own. */
async function checkSameTokenizer(base: LoadedModel, digest: string): Promise<void> {
  if (!base.dir || !existsSync(join(base.dir, 'tokenizer.json'))) return;
  if ((await tokenizerDigest(base.dir)) !== digest) {
    throw new UserError(ErrorCodes.BAD_PARAM, `the baseline ${base.ref} has another tokenizer than the model`, {
      hint: 'pass the dense model this one was compressed from as --baseline (its tokenizer.json must be the same)',
    });
  }
}
