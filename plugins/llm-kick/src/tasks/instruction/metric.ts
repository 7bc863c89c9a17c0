/**
 * kick-instruction: LLM-KICK's instruction following on the 80 Vicuna questions (spec llm-kick.md
 * §2.5): Vicuna v1.1 template, sampled; a local --judge scores the answer 1-10 against the committed
 * GPT-3.5 answer (one pair of scores on the reply's first line); judge-free: ROUGE-1/2/L against the
 * dense model's answer, empty-output rate, distinct-n. See judge/free-form.ts.
 */
import type { LoadedModel, Metric, MetricInputs, MetricResult, ParamSpec, Params, RunContext } from '@mc-kit/core';
import { FREE_FORM_PARAMS, runFreeForm } from '../../judge/free-form.js';
import { parsePairScore } from '../../judge/parse.js';
import { KICK_PARAMS, runKickTask } from '../../shared/index.js';
import type { InstructionDataset } from './dataset.js';

export const INSTRUCTION_PARAMS: readonly ParamSpec[] = Object.freeze([...FREE_FORM_PARAMS, ...KICK_PARAMS]);

export class KickInstructionMetric implements Metric<'instruction'> {
  readonly id = 'kick-instruction';
  readonly summary =
    'LLM-KICK instruction following: Vicuna-80, sampled answers, local --judge vs GPT-3.5 (both orders), ROUGE vs the dense output, distinct-n';
  readonly datasetKinds = ['instruction'] as const;
  readonly params = INSTRUCTION_PARAMS;
  /** eval's --baseline: scored on the same items for the paired delta */
  readonly baseline = 'optional' as const;

  evaluate(
    model: LoadedModel,
    data: InstructionDataset,
    params: Params,
    ctx: RunContext,
    inputs: MetricInputs = {},
  ): Promise<MetricResult> {
    const task = runFreeForm(
      {
        id: this.id,
        protocol:
          'LLM-KICK instruction following: Vicuna-80 questions, Vicuna v1.1 template, sampled; judge prompts table/prompt.jsonl by category',
        judgeAgainstDense: false,
        parser: (faithful) => (reply) => parsePairScore(reply, faithful),
      },
      params,
      inputs.baseline !== undefined,
    );
    return runKickTask(task, model, data, params, ctx, inputs);
  }
}
