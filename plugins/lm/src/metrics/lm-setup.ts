/** What both LM metrics need first: a tokenizer, the adapter, and a context-length check. */
import {
  ErrorCodes,
  loadCausalLM,
  loadTokenizer,
  UserError,
  type CausalLM,
  type LoadedModel,
  type LossHead,
  type ParamSpec,
  type RunContext,
  type TextTokenizer,
} from '@mc-kit/core';

export interface LmSetup {
  readonly lm: CausalLM;
  readonly tokenizer: TextTokenizer;
}

export async function openLm(model: LoadedModel, ctx: RunContext, lossHead: LossHead): Promise<LmSetup> {
  if (!model.dir) {
    throw new UserError(
      ErrorCodes.FILE_NOT_FOUND,
      `no tokenizer for ${model.ref}: pass the model's folder (with tokenizer.json), not the bare .onnx file`,
      {
        hint: 'a language model is a folder laid out like a Hugging Face repo: model.onnx, tokenizer.json, tokenizer_config.json, config.json',
      },
    );
  }
  const tokenizer = await loadTokenizer(model.dir);
  const lm = await loadCausalLM(model, ctx, { lossHead });
  return { lm, tokenizer };
}

/** The window the model sees must fit its context (config.json); say what would fit. */
export function checkContext(
  lm: { readonly contextLength?: number },
  tokens: number,
  flag: string,
  hint: string,
): void {
  if (lm.contextLength !== undefined && tokens > lm.contextLength) {
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `${flag} ${tokens} is larger than the model's context of ${lm.contextLength} tokens (config.json)`,
      { hint },
    );
  }
}

/** How both LM metrics run the model: declared once. */
export const LM_RUN_PARAMS = Object.freeze([
  { name: 'batch-size', type: 'integer', description: 'windows per model run', default: 1, min: 1, max: 1024 },
  {
    name: 'loss',
    type: 'enum',
    options: ['fused', 'logits'],
    description: 'fused: the graph returns one NLL per token; logits: log-softmax in JS (slower, for checks)',
    default: 'fused',
  },
] as const satisfies readonly ParamSpec[]);
