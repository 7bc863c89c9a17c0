/**
 * kick-mcq: LLM-KICK's multiple-choice reasoning task, MMLU 5-shot (multiple_choice_qa/main_mmlu.py;
 * spec llm-kick.md §2.2). Per subject in sorted order, each test question gets the header and the
 * first k dev rows (k = --shots, 5); while the prompt is longer than the model's context (config.json)
 * one shot is dropped; a question that does not fit with no shots is refused before any model runs,
 * naming it (or, with --too-long skip, left out of every mean and listed). One greedy
 * token is generated and compared with the gold letter (scoring.ts); there is no log-likelihood
 * comparison over A-D, so numbers differ from lm-eval-harness MMLU.
 *
 * Reported: the micro mean over all questions ("Average accuracy", the headline) and the mean per
 * subject, subcategory and category (Hendrycks' categories.py).
 */
import {
  ErrorCodes,
  openCheckpoint,
  throwIfAborted,
  UserError,
  contextLengthOf,
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
  mergeKickShards,
  runKickTask,
  tokenizerFor,
  type ItemScore,
  type KickOptions,
  type KickTask,
} from '../../shared/index.js';
import { groupsOf } from './categories.js';
import { openNextTokenModel } from './next-token.js';
import { SubjectPrompts, splitsBeforeNewlines } from './prompt-tokens.js';
import { bestLetter, letterTokenIds, predictedLetter } from './scoring.js';
import type { McqDataset } from './types.js';

export const MCQ_PARAMS = Object.freeze([
  {
    name: 'shots',
    type: 'integer',
    description: 'few-shot examples from dev per question (the reference: --ntrain 5)',
    default: 5,
    min: 0,
    max: 64,
  },
  {
    name: 'too-long',
    type: 'enum',
    options: ['refuse', 'skip'],
    description:
      "a question longer than the model's context even with no shots: refuse the run naming it, or leave it out of every mean (listed in details.skipped)",
    default: 'refuse',
  },
  {
    name: 'answer',
    type: 'enum',
    options: ['greedy', 'letters'],
    description:
      "greedy: one generated token vs the gold letter (the reference); letters: the highest-logit letter among A-D at that position (lm-eval style; not comparable with LLM-KICK's numbers)",
    default: 'greedy',
  },
  {
    name: 'kv-cache',
    type: 'boolean',
    description:
      "compute each subject's few-shot prefix once through past_key_values when the export has them (same predictions, faster)",
    default: true,
  },
  ...KICK_PARAMS,
] as const satisfies readonly ParamSpec[]);

const mcqParams = typedParams(MCQ_PARAMS);

function tooLong(id: string, tokens: number, context: number | undefined): UserError {
  return new UserError(
    ErrorCodes.BAD_DATASET,
    `kick-mcq: question ${id} is ${tokens} tokens with no shots, longer than the model's context of ${context} tokens (config.json)`,
    {
      hint: 'use a model with a longer context, or --too-long skip to leave such questions out of every mean',
    },
  );
}

/** A question as the --resume checkpoint keeps it: its score, or none when --too-long skip left it out. */
interface ScoredQuestion {
  readonly id: string;
  readonly score?: ItemScore;
}

class McqTask implements KickTask<McqDataset> {
  readonly id = 'kick-mcq';
  readonly metricVersion = 1;
  readonly headline = 'accuracy';
  /** ids of the questions left out by --too-long skip, in the last score() call */
  private skipped: string[] = [];
  /** how the last score() call read the answer */
  private answer: 'greedy' | 'letters' = 'greedy';

  async score(
    model: LoadedModel,
    data: McqDataset,
    params: Params,
    options: KickOptions,
    ctx: RunContext,
    label: string,
  ): Promise<ItemScore[]> {
    const tokenizer = await tokenizerFor(model, this.id);
    const context = contextLengthOf(model.config ?? {});
    const p = mcqParams(params);
    const shots = p.shots;
    const splice = splitsBeforeNewlines(model.dir);
    // A question that cannot fit is refused before any model runs (a tokenizer pass, seconds for all of MMLU).
    if (p['too-long'] !== 'skip') {
      for (const subject of data.subjects) {
        const prompts = new SubjectPrompts(subject, tokenizer, options.faithful, splice);
        for (const q of subject.questions)
          if (!prompts.fit(q, shots, context))
            throw tooLong(q.id, tokenizer.encode(prompts.textOf(q, 0)).length, context);
      }
    }
    const lm = await openNextTokenModel(model, ctx, { cache: p['kv-cache'] });
    this.skipped = [];
    const specials = new Set([tokenizer.eosId, tokenizer.bosId].filter((t): t is number => t !== undefined));
    const letterIds = p.answer === 'letters' ? letterTokenIds((text) => tokenizer.encode(text)) : undefined;
    this.answer = letterIds ? 'letters' : 'greedy';
    const range = options.range ?? { from: 0, to: this.units(data) };
    const task = ctx.progress.start(`kick-mcq ${label}${lm.cached ? ' (prefix cached)' : ''}`, range.to - range.from);
    let unit = -1; // the question's index in the order of every question, for --shards
    const scores: ItemScore[] = [];
    // eval --resume: one record per question (its score, or none when skipped); the model and the baseline apart
    const checkpoint = await openCheckpoint(ctx, `model-${model.sha256.slice(0, 16)}`);
    const done = new Map((checkpoint.records as ScoredQuestion[]).map((r) => [r.id, r.score]));
    try {
      for (const subject of data.subjects) {
        const prompts = new SubjectPrompts(subject, tokenizer, options.faithful, splice);
        const groups = groupsOf(subject.name);
        for (const q of subject.questions) {
          throwIfAborted(ctx.signal);
          if (++unit < range.from || unit >= range.to) continue;
          if (done.has(q.id)) {
            const earlier = done.get(q.id);
            if (earlier) scores.push(earlier);
            else this.skipped.push(q.id);
            task.tick();
            continue;
          }
          const prompt = prompts.fit(q, shots, context);
          if (!prompt) {
            this.skipped.push(q.id);
            await checkpoint.append({ id: q.id } satisfies ScoredQuestion);
            task.tick();
            continue;
          }
          const { token, cached, logits } = await lm.next(prompt.ids, prompt.prefixTokens);
          const tokenText = specials.has(token) ? '' : tokenizer.decode([token]);
          const letter = letterIds
            ? bestLetter(logits, letterIds)
            : predictedLetter(prompt.text, tokenText, options.faithful);
          scores.push({
            id: q.id,
            score: letter === q.answer ? 1 : 0,
            groups,
            extra: {
              shots: prompt.shots,
              prompt_tokens: prompt.ids.length,
              token,
              cached: cached ? 1 : 0,
              ...(letter.length === 1 ? { predicted: letter.charCodeAt(0) } : {}),
            },
            prompt: options.logSamples ? prompt.text : '',
            output: tokenText,
            target: q.answer,
          });
          await checkpoint.append({ id: q.id, score: scores.at(-1) } satisfies ScoredQuestion);
          task.tick();
        }
      }
      const correct = scores.reduce((n, s) => n + s.score, 0);
      task.done(
        `kick-mcq ${label}: accuracy ${(correct / scores.length).toFixed(4)} (${correct}/${scores.length}; ${lm.stats.cachedRuns} of ${scores.length} questions on a cached prefix)`,
      );
    } catch (e) {
      task.fail();
      throw e;
    } finally {
      await lm.release();
    }
    return scores;
  }

  /** every question, subject after subject: the units --shards splits (one greedy token each: no randomness) */
  units(data: McqDataset): number {
    return data.subjects.reduce((n, s) => n + s.questions.length, 0);
  }

  mergeDetails(scores: readonly ItemScore[], parts: readonly Record<string, unknown>[]): Record<string, unknown> {
    return { ...this.details(scores), skipped: parts.flatMap((p) => (p.skipped as string[] | undefined) ?? []) };
  }

  details(scores: readonly ItemScore[]): Record<string, unknown> {
    const shots = new Map<number, number>();
    for (const s of scores) shots.set(s.extra?.shots ?? 0, (shots.get(s.extra?.shots ?? 0) ?? 0) + 1);
    // What the model answered: a letter A-D, or something else (a small model often emits "\n").
    const predictions: Record<string, number> = {};
    for (const s of scores) {
      const p = typeof s.extra?.predicted === 'number' ? String.fromCharCode(s.extra.predicted) : '';
      const key = /^[ABCD]$/.test(p) ? p : 'other';
      predictions[key] = (predictions[key] ?? 0) + 1;
    }
    return {
      skipped: [...this.skipped],
      predictions,
      protocol:
        this.answer === 'letters'
          ? 'MMLU, k-shot from dev, the highest-logit letter A-D at the answer position (--answer letters; lm-eval style, NOT the LLM-KICK protocol)'
          : 'MMLU, k-shot from dev, one greedy token compared with the gold letter (LLM-KICK main_mmlu.py)',
      questionsByShots: Object.fromEntries([...shots].sort((a, b) => b[0] - a[0])),
    };
  }
}

export class KickMcqMetric implements Metric<'mcq'> {
  readonly id = 'kick-mcq';
  readonly summary =
    'LLM-KICK multiple-choice reasoning: MMLU 5-shot, one greedy token vs the gold letter; micro mean + per subject/category';
  readonly datasetKinds = ['mcq'] as const;
  readonly params = MCQ_PARAMS;
  /** eval's --baseline: scored on the same items for the paired delta */
  readonly baseline = 'optional' as const;

  evaluate(
    model: LoadedModel,
    data: McqDataset,
    params: Params,
    ctx: RunContext,
    inputs: MetricInputs = {},
  ): Promise<MetricResult> {
    return runKickTask(new McqTask(), model, data, params, ctx, inputs);
  }

  mergeShards(parts: readonly MetricResult[], params: Params): MetricResult {
    return mergeKickShards(new McqTask(), parts, params);
  }
}
