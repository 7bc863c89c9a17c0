/**
 * kick-factoid-qa: LLM-KICK's factoid QA on FreebaseQA (spec llm-kick.md §2.1). Each question becomes
 * "Please give answer to this question: {q}\nThe answer is ", greedy generation of up to 2x the
 * prompt's tokens (max_length = 3x), stopping at EOS; a hit when an alias, spaces removed and
 * lowercased, is a substring of the output likewise squashed.
 *
 * Clean (default): the generated text only is matched, and exactly --limit questions are scored.
 * --faithful: the reference's quirks: (a) the match runs over prompt + generation, so an alias in the
 * question is a hit; (b) --limit N scores N+1 questions while the reference divides by N (that figure
 * is details.exact_match_reference; the headline stays the mean over the items scored).
 * Both modes: no normalization beyond spaces and case (c), first parse's aliases only (d).
 */
import {
  loadGenerator,
  type LoadedModel,
  type Metric,
  type MetricInputs,
  type MetricResult,
  typedParams,
  type ParamSpec,
  type Params,
  type RunContext,
} from '@mc-kit/core';
import {
  KICK_PARAMS,
  openGenerationCheckpoint,
  runKickTask,
  type ItemScore,
  type KickOptions,
  type KickTask,
} from '../../shared/index.js';
import type { FactoidDataset } from './dataset.js';
import { aliasHit, freebasePrompt } from './scoring.js';

export const FACTOID_PARAMS = Object.freeze([
  {
    name: 'prompt-variant',
    type: 'enum',
    options: ['newline', 'space'],
    description: 'before "The answer is ": "\\n" (the pruning code) or " " (the GPTQ script)',
    default: 'newline',
  },
  {
    name: 'batch-size',
    type: 'integer',
    description: 'prompts generated together (padded)',
    default: 8,
    min: 1,
    max: 256,
  },
  ...KICK_PARAMS,
] as const satisfies readonly ParamSpec[]);

const factoidParams = typedParams(FACTOID_PARAMS);

class FactoidTask implements KickTask<FactoidDataset> {
  readonly id = 'kick-factoid-qa';
  readonly metricVersion = 1;
  readonly headline = 'exact_match';
  private referenceDivisor = 0;

  async score(
    model: LoadedModel,
    data: FactoidDataset,
    params: Params,
    options: KickOptions,
    ctx: RunContext,
    label: string,
  ): Promise<ItemScore[]> {
    const n = Math.min(data.questions.length, data.limit ?? Infinity);
    // quirk (b): `if n > num_examples: break` lets question N+1 through
    const items = data.questions.slice(0, options.faithful && data.limit !== undefined ? n + 1 : n);
    this.referenceDivisor = n;
    const p = factoidParams(params);
    const prompts = items.map((q) => freebasePrompt(q.question, p['prompt-variant']));
    const g = await loadGenerator(model, ctx);
    const task = ctx.progress.start(`kick-factoid-qa ${label}`, items.length);
    try {
      const specials = new Set([g.tokenizer.bosId, g.tokenizer.eosId]);
      const scores: ItemScore[] = [];
      // max_length = 3 * len(ids): the budget differs per prompt, so prompts of one length share a call.
      const byLength = new Map<number, number[]>();
      prompts.forEach((p, i) => {
        const len = g.countTokens(p);
        (byLength.get(len) ?? byLength.set(len, []).get(len)!).push(i);
      });
      // eval --resume: one record per generated question, the model and the baseline apart
      const checkpoint = await openGenerationCheckpoint(ctx, 'generate', model);
      const outputs = new Array<{ text: string; tokens: number; prompt: readonly number[]; ids: readonly number[] }>(
        items.length,
      );
      for (const [len, indices] of byLength) {
        let ticked = 0;
        const itemIds = indices.map((i) => items[i].id);
        const out = await g.generate(
          indices.map((i) => prompts[i]),
          {
            maxNewTokens: 2 * len,
            batchSize: p['batch-size'],
            itemIds,
            ...checkpoint.options(itemIds),
            onProgress: (done) => {
              task.tick(done - ticked);
              ticked = done;
            },
          },
        );
        indices.forEach(
          (i, k) =>
            (outputs[i] = { text: out[k].text, tokens: out[k].ids.length, prompt: out[k].promptIds, ids: out[k].ids }),
        );
      }
      items.forEach((q, i) => {
        const o = outputs[i];
        // faithful: decode(prompt + generation) with special tokens skipped, as batch_decode does
        const matched = options.faithful
          ? g.tokenizer.decode([...o.prompt, ...o.ids].filter((t) => !specials.has(t)))
          : o.text;
        scores.push({
          id: q.id,
          score: aliasHit(matched, q.aliases) ? 1 : 0,
          extra: { new_tokens: o.tokens },
          prompt: options.logSamples ? prompts[i] : '',
          output: o.text,
          target: q.aliases,
        });
      });
      task.done(`kick-factoid-qa ${label}: ${scores.reduce((t, s) => t + s.score, 0)}/${scores.length} hits`);
      return scores;
    } catch (e) {
      task.fail();
      throw e;
    } finally {
      await g.release();
    }
  }

  details(scores: readonly ItemScore[]): Record<string, unknown> {
    const hits = scores.reduce((t, s) => t + s.score, 0);
    return {
      protocol:
        'FreebaseQA, greedy to 3x the prompt tokens, alias substring after removing spaces and lowercasing (LLM-KICK main_freebase.py)',
      questionsScored: scores.length,
      exact_match_reference: this.referenceDivisor > 0 ? hits / this.referenceDivisor : undefined,
    };
  }
}

export class KickFactoidQaMetric implements Metric<'factoid-qa'> {
  readonly id = 'kick-factoid-qa';
  readonly summary = 'LLM-KICK factoid QA: FreebaseQA, greedy generation, alias substring match (exact_match)';
  readonly datasetKinds = ['factoid-qa'] as const;
  readonly params = FACTOID_PARAMS;
  /** eval's --baseline: scored on the same items for the paired delta */
  readonly baseline = 'optional' as const;

  evaluate(
    model: LoadedModel,
    data: FactoidDataset,
    params: Params,
    ctx: RunContext,
    inputs: MetricInputs = {},
  ): Promise<MetricResult> {
    return runKickTask(new FactoidTask(), model, data, params, ctx, inputs);
  }
}
