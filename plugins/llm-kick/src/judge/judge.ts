/**
 * A local judge (spec llm-kick.md §3): any causal LM mc can load (--judge MODEL), given the reference
 * judge prompt, greedy. The reference asks GPT-4 once with the reference answer as Assistant 1; a
 * local judge is more position-biased, so the clean mode asks twice, once per order, and averages
 * what parsed; --faithful asks once in the reference's order.
 *
 * The judge sees "{system} USER: {judge prompt} ASSISTANT:" (the Vicuna layout the rest of LLM-KICK
 * uses): mc does not render tokenizer_config.json chat templates (Jinja). Local-judge numbers are
 * not comparable to the paper's GPT-4 numbers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ErrorCodes,
  findLogitsOutput,
  loadGenerator,
  loadModelRef,
  OnnxModel,
  UserError,
  type RunContext,
  type TextGenerator,
} from '@mc-kit/core';
import type { GenerationCheckpoint } from '../shared/index.js';
import { fillJudgeTemplate, type JudgePrompt } from './prompts.js';

export interface JudgeRequest {
  readonly id: string;
  readonly prompt: JudgePrompt;
  readonly question: string;
  /** the reference answer (GPT-3.5's, or the dense model's) */
  readonly reference: string;
  /** the answer judged */
  readonly candidate: string;
}

/** Per request: the candidate's and the reference's score (means over the orders that parsed), or undefined. */
export interface JudgeVerdict {
  readonly candidate?: number;
  readonly reference?: number;
  /** the judge's replies, in order (reference first, then swapped) */
  readonly replies: readonly string[];
}

/** Turns a reply into [Assistant 1, Assistant 2] scores (one number each: criteria already averaged). */
export type ScoreParser = (reply: string) => [number, number] | undefined;

export class LocalJudge {
  private constructor(
    private readonly g: TextGenerator,
    readonly ref: string,
    /** the judge model's sha256 (--judge is a path in the --resume key; its replies are cached under this) */
    readonly sha256: string,
  ) {}

  /**
   * Refuse a judge that cannot work before any answer is generated (generation can take hours):
   * a model folder with a tokenizer and a decoder graph (input_ids in, logits out). Reads the graph
   * only; no session is made.
   */
  static async check(ref: string, ctx: RunContext): Promise<void> {
    const model = await loadModelRef(ref, ctx);
    const bad = (message: string, code: string = ErrorCodes.BAD_MODEL) =>
      new UserError(code, `--judge ${ref}: ${message}`, {
        hint: 'the judge must be a causal LM folder mc can load (model.onnx with input_ids and a logits output, tokenizer.json, config.json)',
      });
    if (!model.dir || !existsSync(join(model.dir, 'tokenizer.json')))
      throw bad('no tokenizer.json beside the model', ErrorCodes.FILE_NOT_FOUND);
    const graph = await OnnxModel.load(model.path);
    if (!graph.inputs.some((i) => i.name === 'input_ids') || !findLogitsOutput(graph)?.name)
      throw bad('not a causal LM: it needs an input_ids input and a logits output');
  }

  static async open(ref: string, ctx: RunContext): Promise<LocalJudge> {
    const model = await loadModelRef(ref, ctx);
    try {
      return new LocalJudge(await loadGenerator(model, ctx), ref, model.sha256);
    } catch (e) {
      if (e instanceof UserError)
        throw new UserError(e.code, `--judge ${ref}: ${e.message}`, {
          hint: 'the judge must be a causal LM folder mc can load (model.onnx with a logits output, tokenizer.json, config.json)',
          cause: e,
        });
      throw e;
    }
  }

  async judge(
    requests: readonly JudgeRequest[],
    parse: ScoreParser,
    options: {
      bothOrders: boolean;
      maxNewTokens: number;
      onProgress?: (done: number, total: number) => void;
      checkpoint?: GenerationCheckpoint;
    },
  ): Promise<JudgeVerdict[]> {
    const orders = options.bothOrders ? [false, true] : [false];
    const texts: string[] = [];
    const ids: string[] = [];
    for (const r of requests) {
      for (const swapped of orders) {
        const user = swapped
          ? fillJudgeTemplate(r.prompt, r.question, r.candidate, r.reference)
          : fillJudgeTemplate(r.prompt, r.question, r.reference, r.candidate);
        texts.push(`${r.prompt.system} USER: ${user} ASSISTANT:`);
        ids.push(`${r.id} (judge${swapped ? ', swapped' : ''})`);
      }
    }
    const out = await this.g.generate(texts, {
      maxNewTokens: options.maxNewTokens,
      itemIds: ids,
      onProgress: options.onProgress,
      ...options.checkpoint?.options(ids),
    });
    return requests.map((_, i) => {
      const cand: number[] = [];
      const ref: number[] = [];
      const replies: string[] = [];
      orders.forEach((swapped, k) => {
        const reply = out[i * orders.length + k].text;
        replies.push(reply);
        const s = parse(reply);
        if (!s) return;
        cand.push(swapped ? s[0] : s[1]);
        ref.push(swapped ? s[1] : s[0]);
      });
      const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : undefined);
      return { candidate: mean(cand), reference: mean(ref), replies };
    });
  }

  release(): Promise<void> {
    return this.g.release();
  }
}

export function judgeNeedsReference(task: string): UserError {
  return new UserError(ErrorCodes.BAD_PARAM, `${task}: the judge compares with a reference answer, and none is there`, {
    hint: 'pass --dense MODEL (or --baseline MODEL): its outputs are the reference the judge and ROUGE compare with',
  });
}
