/** What every kick-* task needs before it runs a model: its tokenizer (the model's folder, not a bare .onnx). */
import { ErrorCodes, loadTokenizer, UserError, type LoadedModel, type TextTokenizer } from '@mc-kit/core';

export async function tokenizerFor(model: LoadedModel, metric: string): Promise<TextTokenizer> {
  if (!model.dir) {
    throw new UserError(
      ErrorCodes.FILE_NOT_FOUND,
      `${metric}: no tokenizer for ${model.ref}: pass the model's folder (with tokenizer.json), not the bare .onnx file`,
      {
        hint: 'a language model is a folder laid out like a Hugging Face repo: model.onnx, tokenizer.json, tokenizer_config.json, config.json',
      },
    );
  }
  return loadTokenizer(model.dir);
}
