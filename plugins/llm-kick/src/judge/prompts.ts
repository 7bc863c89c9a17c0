/**
 * The reference judge prompts (LLM-KICK json_utils/prompt.jsonl, mt_conversation/table/prompt.jsonl):
 * one JSON object a line with prompt_id, system_prompt, prompt_template ({question}, {answer_1},
 * {answer_2}, {prompt}), defaults.prompt and category; and the Vicuna v1.1 chat template the
 * reference generates with (FastChat get_conversation_template("lmsys/vicuna-7b-v1.3")).
 */
import { readFileSync } from 'node:fs';
import { assertRegularFile, ErrorCodes, UserError } from '@mc-kit/core';

export interface JudgePrompt {
  readonly id: number;
  readonly system: string;
  readonly template: string;
  /** defaults.prompt: the [System] instructions */
  readonly instructions: string;
  readonly category: string;
}

export const VICUNA_SYSTEM =
  "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";

/** vicuna_v1.1 with one user turn and the assistant's turn open: sep " ", tokenized with BOS. */
export function vicunaPrompt(text: string): string {
  return `${VICUNA_SYSTEM} USER: ${text} ASSISTANT:`;
}

export function readJudgePrompts(path: string): JudgePrompt[] {
  assertRegularFile(path, path, ErrorCodes.BAD_DATASET);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new UserError(ErrorCodes.BAD_DATASET, `${path}: line ${i + 1} is not JSON`);
      }
      const instructions = (r.defaults as { prompt?: unknown } | undefined)?.prompt;
      if (
        typeof r.prompt_template !== 'string' ||
        typeof r.system_prompt !== 'string' ||
        typeof instructions !== 'string'
      ) {
        throw new UserError(
          ErrorCodes.BAD_DATASET,
          `${path}: line ${i + 1} lacks system_prompt, prompt_template or defaults.prompt`,
          { hint: "the judge prompts are the reference's prompt.jsonl" },
        );
      }
      return {
        id: Number(r.prompt_id),
        system: r.system_prompt,
        template: r.prompt_template,
        instructions,
        category: String(r.category ?? ''),
      };
    });
}

/** prompt_template.format(question=..., answer_1=..., answer_2=..., prompt=...): one pass over the template only. */
export function fillJudgeTemplate(p: JudgePrompt, question: string, answer1: string, answer2: string): string {
  const values: Record<string, string> = { question, answer_1: answer1, answer_2: answer2, prompt: p.instructions };
  return p.template.replace(/\{\{|\}\}|\{(\w+)\}/g, (m, key: string | undefined) =>
    key === undefined ? m[0] : (values[key] ?? m),
  );
}
