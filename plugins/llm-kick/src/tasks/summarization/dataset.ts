/**
 * Dataset provider `llm-kick-summarization` (kind 'summarization'): LLM-KICK's 90 in-context
 * summarization prompts over CNN stories and the judge prompts, as committed in
 * in-context_summarization/json_utils (new_question.jsonl, prompt.jsonl) or as copied into
 * ../shared/data/llm-kick/summarization (questions.jsonl, judge_prompt.jsonl). Records:
 * {question_id, text, category: small|mid|large}; the judge prompt is the one of the same category.
 * --limit N keeps the first N prompts.
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
import { readJudgePrompts } from '../../judge/prompts.js';
import { readJsonl } from './jsonl.js';

export interface SummarizationDataset extends DatasetBase, FreeFormData {
  readonly kind: 'summarization';
}

/** Adds the kind to mc's dataset contract: providers of 'summarization' open a SummarizationDataset, 'summarization' metrics receive one. */
declare module '@mc-kit/core' {
  interface DatasetKinds {
    summarization: SummarizationDataset;
  }
}

/** The first of `names` present in `dir`, or a UserError naming what is missing. */
export function requireFile(dir: string, ref: string, names: readonly string[], what: string): string {
  const found = names.map((n) => join(dir, n)).find((p) => existsSync(p));
  if (!found)
    throw new UserError(ErrorCodes.BAD_DATASET, `${ref}: no ${what} (${names.join(' or ')})`, {
      hint: 'pass the folder copied from the LLM-KICK reference (see ../shared/data/llm-kick/README.md)',
    });
  return found;
}

export const SUMMARY_FILES = {
  questions: ['questions.jsonl', 'new_question.jsonl'],
  judge: ['judge_prompt.jsonl', 'prompt.jsonl'],
} as const;

export class SummarizationDatasetProvider implements DatasetProvider<'summarization'> {
  readonly id = 'llm-kick-summarization';
  readonly kind = 'summarization';
  readonly summary =
    'LLM-KICK in-context summarization: questions.jsonl (90 CNN-story prompts) + judge_prompt.jsonl (--limit: first N)';

  async canOpen(ref: DatasetRef): Promise<boolean> {
    return (
      ref.path !== undefined &&
      SUMMARY_FILES.questions.some((n) => existsSync(join(ref.path!, n))) &&
      SUMMARY_FILES.judge.some((n) => existsSync(join(ref.path!, n)))
    );
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<SummarizationDataset> {
    if (!ref.path || !existsSync(ref.path))
      throw new UserError(ErrorCodes.FILE_NOT_FOUND, `dataset not found: ${ref.ref}`);
    const qPath = requireFile(ref.path, ref.ref, SUMMARY_FILES.questions, 'summarization prompts');
    const jPath = requireFile(ref.path, ref.ref, SUMMARY_FILES.judge, 'judge prompts');
    const prompts = readJudgePrompts(jPath);
    if (prompts.length === 0) throw new UserError(ErrorCodes.BAD_DATASET, `${ref.ref}: ${jPath} holds no judge prompt`);
    const items: FreeFormItem[] = readJsonl(qPath, qPath).map((r, i) => {
      if (typeof r.text !== 'string')
        throw new UserError(ErrorCodes.BAD_DATASET, `${qPath}: line ${i + 1} has no text`);
      const category = String(r.category ?? '');
      return {
        id: `summarization/${r.question_id ?? i + 1}`,
        text: r.text,
        category,
        judgePrompt: prompts.find((p) => p.category === category) ?? prompts[0],
      };
    });
    const kept = ref.limit === undefined ? items : items.slice(0, ref.limit);
    ctx.log.debug(`${ref.ref}: ${items.length} summarization prompts`);
    return {
      kind: 'summarization',
      provider: this.id,
      ref: ref.ref,
      digest: await sha256Files([
        { name: 'questions', path: qPath },
        { name: 'judge', path: jPath },
      ]),
      size: kept.length,
      items: kept,
    };
  }
}
