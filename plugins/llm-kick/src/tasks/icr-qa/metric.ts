/**
 * kick-icr-qa: LLM-KICK's in-context retrieval-augmented QA on TriviaQA rc (spec llm-kick.md §2.3).
 * --book closed: "Answer these questions:\n\nQ: {q}\nA:"; --book open: the first 3,072 characters of
 * wiki page 0 + web result 0 (no separator), "\n\n", then "Based on these texts, answer these
 * questions:\n\nQ: {q}\nA:", the whole stripped. Greedy, 32 new tokens; the prediction is the first
 * line of the answer. Scores, max over Answer.NormalizedAliases after TriviaQA normalization:
 * exact_match = containment either way (the reference's override; the headline), f1 = SQuAD token F1.
 *
 * Clean (default): an empty prediction scores EM 0, and the generation itself is read.
 * --faithful: an empty prediction is an EM hit ("" in x), and the answer is read from
 * decode(prompt + generation).split(prompt_end)[1], as the reference does.
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
import { containmentMatch, maxOverTruths, strictMatch, tokenF1 } from '../../text-metrics/index.js';
import { evidenceOf, type IcrDataset } from './dataset.js';
import { icrPrompt, prediction, promptEnd } from './prompt.js';

export const ICR_PARAMS = Object.freeze([
  {
    name: 'book',
    type: 'enum',
    options: ['closed', 'open'],
    description: 'closed: the question alone; open: with 3,072 characters of evidence (--include_context)',
    default: 'closed',
  },
  {
    name: 'max-new-tokens',
    type: 'integer',
    description: 'new tokens generated (the reference: max_length = prompt + 32)',
    default: 32,
    min: 1,
    max: 4096,
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

const icrParams = typedParams(ICR_PARAMS);

class IcrTask implements KickTask<IcrDataset> {
  readonly id = 'kick-icr-qa';
  readonly metricVersion = 1;
  readonly headline = 'exact_match';
  private book = 'closed';

  async score(
    model: LoadedModel,
    data: IcrDataset,
    params: Params,
    options: KickOptions,
    ctx: RunContext,
    label: string,
  ): Promise<ItemScore[]> {
    const p = icrParams(params);
    const open = p.book === 'open';
    this.book = open ? 'open' : 'closed';
    const prompts = data.questions.map((q) => icrPrompt(q.question, open ? evidenceOf(data, q) : '', open));
    const g = await loadGenerator(model, ctx);
    const task = ctx.progress.start(`kick-icr-qa (${this.book}-book) ${label}`, prompts.length);
    let ticked = 0;
    try {
      // eval --resume: one record per generated question, the model and the baseline apart
      const checkpoint = await openGenerationCheckpoint(ctx, 'generate', model);
      const itemIds = data.questions.map((q) => q.id);
      const out = await g.generate(prompts, {
        maxNewTokens: p['max-new-tokens'],
        batchSize: p['batch-size'],
        itemIds,
        ...checkpoint.options(itemIds),
        onProgress: (done) => {
          task.tick(done - ticked);
          ticked = done;
        },
      });
      const specials = new Set([g.tokenizer.bosId, g.tokenizer.eosId]);
      const scores = data.questions.map((q, i): ItemScore => {
        const all = options.faithful
          ? g.tokenizer.decode([...out[i].promptIds, ...out[i].ids].filter((t) => !specials.has(t)))
          : '';
        const pred = prediction(out[i].text, all, promptEnd(q.question, open), options.faithful);
        const em = maxOverTruths((t) => containmentMatch(pred, t, options.faithful), q.aliases);
        return {
          id: q.id,
          score: em,
          extra: {
            f1: maxOverTruths((t) => tokenF1(pred, t), q.aliases),
            strict_em: maxOverTruths((t) => strictMatch(pred, t), q.aliases),
            empty: pred.trim() === '' ? 1 : 0,
          },
          prompt: options.logSamples ? prompts[i] : '',
          output: pred,
          target: q.aliases,
        };
      });
      task.done(
        `kick-icr-qa ${label}: exact_match ${(scores.reduce((t, s) => t + s.score, 0) / scores.length).toFixed(4)}`,
      );
      return scores;
    } catch (e) {
      task.fail();
      throw e;
    } finally {
      await g.release();
    }
  }

  details(scores: readonly ItemScore[]): Record<string, unknown> {
    const mean = (k: string) => scores.reduce((t, s) => t + (s.extra?.[k] ?? 0), 0) / scores.length;
    return {
      protocol: `TriviaQA rc validation, ${this.book}-book, greedy 32 tokens, first line; EM = containment either way (LLM-KICK main_icrqa.py)`,
      book: this.book,
      f1: mean('f1'),
      exact_match_strict: mean('strict_em'),
      empty_predictions: scores.reduce((t, s) => t + (s.extra?.empty ?? 0), 0),
    };
  }
}

export class KickIcrQaMetric implements Metric<'icr-qa'> {
  readonly id = 'kick-icr-qa';
  readonly summary = 'LLM-KICK in-context retrieval QA: TriviaQA rc, closed- or open-book, containment EM and SQuAD F1';
  readonly datasetKinds = ['icr-qa'] as const;
  readonly params = ICR_PARAMS;
  /** eval's --baseline: scored on the same items for the paired delta */
  readonly baseline = 'optional' as const;

  evaluate(
    model: LoadedModel,
    data: IcrDataset,
    params: Params,
    ctx: RunContext,
    inputs: MetricInputs = {},
  ): Promise<MetricResult> {
    return runKickTask(new IcrTask(), model, data, params, ctx, inputs);
  }
}
