/**
 * kick-summarization: LLM-KICK's in-context summarization (spec llm-kick.md §2.4): the model
 * summarizes each CNN story under the Vicuna v1.1 template (sampling, T 0.7, 1024 new tokens); a
 * local --judge grades coherence, consistency, fluency and relevance 1-10 against the dense model's
 * summary (the reference's GPT-3.5 summaries were never committed), the four averaged; judge-free:
 * ROUGE-1/2/L against the dense summary, empty-output rate, distinct-n. See judge/free-form.ts.
 */
import type { LoadedModel, Metric, MetricInputs, MetricResult, ParamSpec, Params, RunContext } from '@mc-kit/core';
import { FREE_FORM_PARAMS, runFreeForm } from '../../judge/free-form.js';
import { parseFourPairs } from '../../judge/parse.js';
import { KICK_PARAMS, runKickTask } from '../../shared/index.js';
import type { SummarizationDataset } from './dataset.js';

export const SUMMARIZATION_PARAMS: readonly ParamSpec[] = Object.freeze([...FREE_FORM_PARAMS, ...KICK_PARAMS]);

/** The four criteria's [Assistant 1, Assistant 2] pairs, averaged into one pair. */
export function summaryJudgeScore(reply: string, faithful: boolean): [number, number] | undefined {
  const pairs = parseFourPairs(reply, faithful);
  if (!pairs) return undefined;
  return [pairs.reduce((t, p) => t + p[0], 0) / 4, pairs.reduce((t, p) => t + p[1], 0) / 4];
}

export class KickSummarizationMetric implements Metric<'summarization'> {
  readonly id = 'kick-summarization';
  readonly summary =
    'LLM-KICK in-context summarization: Vicuna-template sampling, local --judge (4 criteria, both orders), ROUGE vs the dense output, distinct-n';
  readonly datasetKinds = ['summarization'] as const;
  readonly params = SUMMARIZATION_PARAMS;
  /** eval's --baseline: scored on the same items for the paired delta */
  readonly baseline = 'optional' as const;

  evaluate(
    model: LoadedModel,
    data: SummarizationDataset,
    params: Params,
    ctx: RunContext,
    inputs: MetricInputs = {},
  ): Promise<MetricResult> {
    const task = runFreeForm(
      {
        id: this.id,
        protocol:
          'LLM-KICK in-context summarization: 90 CNN-story prompts, Vicuna v1.1 template, sampled; judge prompt json_utils/prompt.jsonl',
        judgeAgainstDense: true,
        parser: (faithful) => (reply) => summaryJudgeScore(reply, faithful),
      },
      params,
      inputs.baseline !== undefined,
    );
    return runKickTask(task, model, data, params, ctx, inputs);
  }
}
