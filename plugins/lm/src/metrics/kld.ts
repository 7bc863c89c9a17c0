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
  ErrorCodes,
  loadKlPair,
  loadTokenizer,
  openCheckpoint,
  throwIfAborted,
  tokenizerDigest,
  UserError,
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
import { windowBatches } from './score.js';
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
      let sums = emptyKldSums();
      const perToken: number[] = [];
      const counts: Record<string, number> = {};
      let records = 0;
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
        const task = ctx.progress.start(`kld ${subset.name}`, plan.windows.length);
        const sub = await scoreSubset(
          pair,
          stream.ids,
          plan.windows,
          p['batch-size'],
          subset.name,
          ctx,
          task,
          perToken,
        );
        task.done(`kld ${subset.name}: ${plan.windows.length} windows, ${sub.count} tokens scored`);
        sums = mergeKldSums(sums, sub);
        Object.assign(
          counts,
          prefixed(data.subsets.length > 1 ? subset.name : '', {
            windows: plan.windows.length,
            scored_tokens: sub.count,
            tokens: stream.ids.length,
            unscored_tail: plan.tail,
            records: stream.records,
          }),
        );
        records += stream.records;
      }
      const sorted = Float64Array.from(perToken).sort();
      const values = kldValues(sums, sorted);
      return {
        metric: 'kld',
        metricVersion: 1,
        values,
        sums: { ...sums, ...counts },
        samples: records,
        details: {
          tokenizer: tokenizer.digest,
          blockSize: block,
          stride,
          baseline: { ref: base.ref, sha256: base.sha256 },
          // how the two models ran: 'sliced' (both heads chunked), 'full' (the model's head computed whole, e.g. a DequantizeLinear weight), 'logits' (both in JS)
          head: pair.head,
          chunk: pair.chunk,
          definitions:
            'llama.cpp llama-perplexity --kl-divergence: KL(dense ‖ model) per token, Δp = p(target) − p_dense(target), same top = equal argmax',
        },
      };
    } finally {
      await pair.release();
    }
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
