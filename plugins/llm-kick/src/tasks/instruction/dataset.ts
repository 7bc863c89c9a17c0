/**
 * Dataset provider `vicuna-80` (kind 'instruction'): LLM-KICK's instruction-following set, the 80
 * single-turn Vicuna benchmark questions with the committed GPT-3.5 answers and the judge prompts
 * (mt_conversation/table/{question,prompt}.jsonl + answer.jsonl, or ../shared/data/llm-kick/instruction:
 * table_question.jsonl, answer.jsonl, table_prompt.jsonl). Judge prompt by category: coding -> 2,
 * math -> 3, anything else -> 1 (general). --limit N keeps the first N questions.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ErrorCodes,
  sha256Files,
  UserError,
  type DatasetBase,
  type DatasetProvider,
  type DatasetRef,
  type RunContext,
} from '@mc-kit/core';
import type { FreeFormData, FreeFormItem } from '../../judge/free-form.js';
import { readJudgePrompts, type JudgePrompt } from '../../judge/prompts.js';
import { readJsonl, requireFile } from '../summarization/index.js';

export interface InstructionDataset extends DatasetBase, FreeFormData {
  readonly kind: 'instruction';
}

/** Adds the kind to mc's dataset contract: providers of 'instruction' open an InstructionDataset, 'instruction' metrics receive one. */
declare module '@mc-kit/core' {
  interface DatasetKinds {
    instruction: InstructionDataset;
  }
}

export const INSTRUCTION_FILES = {
  questions: ['table_question.jsonl', 'question.jsonl'],
  answers: ['answer.jsonl'],
  judge: ['table_prompt.jsonl', 'prompt.jsonl'],
} as const;

export function judgePromptFor(category: string, prompts: readonly JudgePrompt[]): JudgePrompt | undefined {
  const id = category === 'coding' ? 2 : category === 'math' ? 3 : 1;
  return prompts.find((p) => p.id === id);
}

export class InstructionDatasetProvider implements DatasetProvider<'instruction'> {
  readonly id = 'vicuna-80';
  readonly kind = 'instruction';
  readonly summary =
    'LLM-KICK instruction following: the 80 Vicuna questions, GPT-3.5 answers and judge prompts (--limit: first N)';

  async canOpen(ref: DatasetRef): Promise<boolean> {
    return (
      ref.path !== undefined &&
      Object.values(INSTRUCTION_FILES).every((names) => names.some((n) => existsSync(join(ref.path!, n))))
    );
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<InstructionDataset> {
    if (!ref.path || !existsSync(ref.path))
      throw new UserError(ErrorCodes.FILE_NOT_FOUND, `dataset not found: ${ref.ref}`);
    const qPath = requireFile(ref.path, ref.ref, INSTRUCTION_FILES.questions, 'questions');
    const aPath = requireFile(ref.path, ref.ref, INSTRUCTION_FILES.answers, 'reference answers');
    const jPath = requireFile(ref.path, ref.ref, INSTRUCTION_FILES.judge, 'judge prompts');
    const prompts = readJudgePrompts(jPath);
    const answers = new Map(readJsonl(aPath, aPath).map((r) => [String(r.question_id), String(r.text ?? '')]));
    const items: FreeFormItem[] = readJsonl(qPath, qPath).map((r, i) => {
      const qid = String(r.question_id ?? i + 1);
      const category = String(r.category ?? '');
      const judgePrompt = judgePromptFor(category, prompts);
      if (typeof r.text !== 'string')
        throw new UserError(ErrorCodes.BAD_DATASET, `${qPath}: line ${i + 1} has no text`);
      if (!judgePrompt)
        throw new UserError(
          ErrorCodes.BAD_DATASET,
          `${jPath}: no judge prompt ${category === 'coding' ? 2 : category === 'math' ? 3 : 1} for question ${qid} (${category})`,
        );
      if (!answers.has(qid))
        throw new UserError(ErrorCodes.BAD_DATASET, `${aPath}: no reference answer for question ${qid}`);
      return { id: `instruction/${qid}`, text: r.text, category, judgePrompt, reference: answers.get(qid) };
    });
    const kept = ref.limit === undefined ? items : items.slice(0, ref.limit);
    ctx.log.debug(`${ref.ref}: ${items.length} instruction questions`);
    const digest = await sha256Files([
      { name: 'questions', path: qPath },
      { name: 'answers', path: aPath },
      { name: 'judge', path: jPath },
    ]);
    return {
      kind: 'instruction',
      provider: this.id,
      ref: ref.ref,
      digest,
      size: kept.length,
      items: kept,
    };
  }
}
