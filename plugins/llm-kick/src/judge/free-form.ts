/**
 * The driver of the two free-form kick-* tasks (summarization, instruction following; spec
 * llm-kick.md §2.4-2.5, §3): generate with the Vicuna v1.1 template (sampling, T 0.7, top-k 50, 1024
 * new tokens, seeded), then score
 *  - with --judge MODEL: a local judge's score of the answer against a reference answer (GPT-3.5's
 *    for instruction following; the dense model's for summarization, whose GPT-3.5 summaries the
 *    reference never committed), both orders averaged unless --faithful; unparseable replies are left
 *    out, as the reference leaves them out, and counted;
 *  - always, judge-free: ROUGE-1/2/L against the dense model's output (--dense MODEL, else
 *    --baseline), the empty-output rate, distinct-1/2 and the unique-token ratio.
 * Headline: judge_score (1-10) with a judge, else rougeL against the dense output, else non_empty.
 *
 * A prompt too long for the model's context is refused naming it (clean), or, with --too-long skip
 * or --faithful, answered with the empty text, as the reference's 2048-token Vicuna did for 3 of the
 * 30 "large" stories.
 */
import {
  ErrorCodes,
  loadGenerator,
  loadModelRef,
  UserError,
  type LoadedModel,
  typedParams,
  type ParamSpec,
  type Params,
  type RunContext,
} from '@mc-kit/core';
import { openGenerationCheckpoint, type ItemScore, type KickOptions, type KickTask } from '../shared/index.js';
import { answerStatistics, rougeScores, uniqueTokenRatio } from '../text-metrics/index.js';
import { judgeNeedsReference, LocalJudge, type ScoreParser } from './judge.js';
import { vicunaPrompt, type JudgePrompt } from './prompts.js';

export const FREE_FORM_PARAMS = Object.freeze([
  {
    name: 'judge',
    type: 'string',
    description:
      'a causal LM (model folder) that grades each answer with the reference judge prompt; none: judge-free numbers only',
  },
  {
    name: 'dense',
    type: 'string',
    description:
      'the dense model whose outputs are the reference for ROUGE (and the summarization judge); default: --baseline',
  },
  {
    name: 'max-new-tokens',
    type: 'integer',
    description: 'new tokens per answer (the reference: 1024)',
    default: 1024,
    min: 1,
    max: 8192,
  },
  {
    name: 'temperature',
    type: 'number',
    description: 'sampling temperature (the reference: 0.7; 0 = greedy)',
    default: 0.7,
    min: 0,
    max: 10,
  },
  {
    name: 'top-k',
    type: 'integer',
    description: "sample among the k most likely tokens (transformers' do_sample default: 50; 0 = all)",
    default: 50,
    min: 0,
    max: 1_000_000,
  },
  {
    name: 'judge-max-new-tokens',
    type: 'integer',
    description: "new tokens of each judge reply (the reference's GPT-4: 1024)",
    default: 256,
    min: 8,
    max: 8192,
  },
  {
    name: 'too-long',
    type: 'enum',
    options: ['refuse', 'skip'],
    description:
      "a prompt longer than the model's context: refuse naming it, or answer it with the empty text (as the reference did)",
    default: 'refuse',
  },
  {
    name: 'batch-size',
    type: 'integer',
    description: 'prompts generated together (padded)',
    default: 8,
    min: 1,
    max: 256,
  },
] as const satisfies readonly ParamSpec[]);

const freeFormParams = typedParams(FREE_FORM_PARAMS);

export interface FreeFormItem {
  readonly id: string;
  /** the user turn: instruction (+ story) or question */
  readonly text: string;
  readonly category: string;
  readonly judgePrompt: JudgePrompt;
  /** a committed reference answer (GPT-3.5's), when there is one */
  readonly reference?: string;
}

export interface FreeFormData {
  readonly items: readonly FreeFormItem[];
}

export interface FreeFormSpec {
  readonly id: string;
  readonly protocol: string;
  /** does the judge compare with the dense model's answers (true) or with the items' committed reference (false)? */
  readonly judgeAgainstDense: boolean;
  /** the judge reply's [Assistant 1, Assistant 2] score, criteria averaged */
  parser(faithful: boolean): ScoreParser;
}

interface Answers {
  readonly texts: readonly string[];
  readonly newTokens: readonly number[];
  readonly skipped: readonly boolean[];
}

export function runFreeForm(spec: FreeFormSpec, params: Params, hasBaseline: boolean): KickTask<FreeFormData> {
  const p = freeFormParams(params);
  const judgeRef = p.judge || undefined;
  const denseParam = p.dense || undefined;
  const cache = new Map<string, Answers>(); // by model sha256: the dense outputs serve the model and the baseline runs
  let stats: Record<string, unknown> = {};

  async function answers(
    model: LoadedModel,
    data: FreeFormData,
    options: KickOptions,
    ctx: RunContext,
    label: string,
  ): Promise<Answers> {
    const hit = cache.get(model.sha256);
    if (hit) return hit;
    const g = await loadGenerator(model, ctx);
    const task = ctx.progress.start(`${spec.id} generate ${label}`, data.items.length);
    let ticked = 0;
    try {
      // eval --resume: one record per answer, per model; each prompt samples from its own seeded stream, so a resumed one draws the same
      const checkpoint = await openGenerationCheckpoint(ctx, 'generate', model);
      const itemIds = data.items.map((it) => it.id);
      const out = await g.generate(
        data.items.map((it) => vicunaPrompt(it.text)),
        {
          maxNewTokens: p['max-new-tokens'],
          temperature: p.temperature,
          topK: p['top-k'] || undefined,
          seed: ctx.rng.seed,
          batchSize: p['batch-size'],
          itemIds,
          ...checkpoint.options(itemIds),
          onTooLong: () => (p['too-long'] === 'skip' || options.faithful ? 'skip' : 'refuse'),
          onProgress: (done) => {
            task.tick(done - ticked);
            ticked = done;
          },
        },
      );
      const result = {
        texts: out.map((o) => o.text.trim()),
        newTokens: out.map((o) => o.ids.length),
        skipped: out.map((o) => o.skipped === true),
      };
      task.done(`${spec.id} ${label}: ${out.length} answers`);
      cache.set(model.sha256, result);
      return result;
    } catch (e) {
      task.fail();
      throw e;
    } finally {
      await g.release();
    }
  }

  const headline = judgeRef ? 'judge_score' : denseParam || hasBaseline ? 'rougeL' : 'non_empty';

  return {
    id: spec.id,
    metricVersion: 1,
    headline,
    async score(model, data, _params, options, ctx, label) {
      const denseModel = denseParam ? await loadModelRef(denseParam, ctx) : options.baseline;
      if (judgeRef && spec.judgeAgainstDense && !denseModel) throw judgeNeedsReference(spec.id);
      if (judgeRef) await LocalJudge.check(judgeRef, ctx); // before hours of generation
      const mine = await answers(model, data, options, ctx, label);
      const dense = denseModel ? await answers(denseModel, data, options, ctx, `dense ${denseModel.ref}`) : undefined;
      const items = data.items;
      const rouge = dense ? items.map((_, i) => rougeScores(mine.texts[i], dense.texts[i])) : undefined;
      let verdicts: ({ candidate?: number; reference?: number } | undefined)[] = items.map(() => undefined);
      if (judgeRef) {
        const judge = await LocalJudge.open(judgeRef, ctx);
        // eval --resume: this judge's replies about this model's answers, one record per reply
        const checkpoint = await openGenerationCheckpoint(ctx, `judge-${judge.sha256.slice(0, 16)}`, model);
        const task = ctx.progress.start(`${spec.id} judge ${label}`, items.length * (options.faithful ? 1 : 2));
        let ticked = 0;
        try {
          verdicts = await judge.judge(
            items.map((it, i) => ({
              id: it.id,
              prompt: it.judgePrompt,
              question: it.text,
              reference: (spec.judgeAgainstDense ? dense!.texts[i] : it.reference) ?? '',
              candidate: mine.texts[i],
            })),
            spec.parser(options.faithful),
            {
              bothOrders: !options.faithful,
              maxNewTokens: p['judge-max-new-tokens'],
              checkpoint,
              onProgress: (done) => {
                task.tick(done - ticked);
                ticked = done;
              },
            },
          );
          task.done();
        } catch (e) {
          task.fail();
          throw e;
        } finally {
          await judge.release();
        }
      }
      const scores: ItemScore[] = [];
      const unparsed: string[] = [];
      items.forEach((it, i) => {
        const v = verdicts[i];
        if (judgeRef && v?.candidate === undefined) {
          unparsed.push(it.id);
          return;
        }
        const r = rouge?.[i];
        const score = judgeRef ? v!.candidate! : r ? r.rougeL : mine.texts[i] === '' ? 0 : 1;
        scores.push({
          id: it.id,
          score,
          groups: [`category/${it.category}`],
          extra: {
            new_tokens: mine.newTokens[i],
            empty: mine.texts[i] === '' ? 1 : 0,
            unique_token_ratio: uniqueTokenRatio(mine.texts[i]),
            ...(mine.skipped[i] ? { too_long: 1 } : {}),
            ...(r ? { rouge1: r.rouge1, rouge2: r.rouge2, rougeL: r.rougeL } : {}),
            ...(v?.reference !== undefined ? { judge_reference: v.reference } : {}),
          },
          prompt: options.logSamples ? vicunaPrompt(it.text) : '',
          output: mine.texts[i],
        });
      });
      if (judgeRef && scores.length === 0) {
        throw new UserError(
          ErrorCodes.BAD_MODEL,
          `${spec.id}: no judge reply could be read as scores (${unparsed.length} items)`,
          {
            hint: `--judge ${judgeRef} does not answer in the format the judge prompt asks for; use an instruction-tuned judge, or --judge-max-new-tokens higher`,
          },
        );
      }
      const judged = scores.filter((s) => s.extra?.judge_reference !== undefined);
      const refMean = judged.length
        ? judged.reduce((t, s) => t + s.extra!.judge_reference, 0) / judged.length
        : undefined;
      const candMean = judged.length ? judged.reduce((t, s) => t + s.score, 0) / judged.length : undefined;
      stats = {
        protocol: spec.protocol,
        answers: items.length,
        // over every answer, scored by the judge or not (answerStatistics)
        ...answerStatistics(mine.texts, rouge),
        too_long: mine.skipped.filter(Boolean).length,
        ...(dense ? { dense: denseModel?.ref } : {}),
        ...(judgeRef
          ? {
              judge: judgeRef,
              judge_orders: options.faithful ? 'reference first only (as the reference)' : 'both orders averaged',
              judge_reference: spec.judgeAgainstDense
                ? `the dense model's answers (${denseModel?.ref})`
                : 'the committed GPT-3.5 answers',
              judged: judged.length,
              unparsed,
              reference_score: refMean,
              score_ratio: refMean && candMean !== undefined ? candMean / refMean : undefined,
              note: 'local-judge numbers are not comparable to the paper (GPT-4 judge)',
            }
          : {}),
      };
      return scores;
    },
    details: () => stats,
  };
}
