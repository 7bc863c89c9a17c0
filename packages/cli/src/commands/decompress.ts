import { decompressModel, type DecompressResult } from '@mc-kit/core';
import { Args, Flags } from '@oclif/core';
import { McCommand } from '../base-command.js';
import { renderDecompress } from '../render/compress.js';

export default class Decompress extends McCommand {
  static override summary =
    'Turn a model written by mc compress back into a dense float model (weights = the dequantized values, bit for bit).';
  static override examples = ['<%= config.bin %> decompress mnist-int8.onnx --out mnist-dense.onnx'];
  static override args = { model: Args.string({ description: 'A model written by mc compress.', required: true }) };
  static override flags = {
    out: Flags.string({
      char: 'o',
      description: 'Output: a .onnx file, or a new folder (model.onnx + config/tokenizer files). Never the input.',
      required: true,
    }),
  };

  async run(): Promise<DecompressResult> {
    const { args, flags } = await this.parse(Decompress);
    const result = await decompressModel(
      await this.registry(),
      { model: args.model, out: flags.out },
      await this.context(flags),
    );
    this.log(renderDecompress(result));
    return result;
  }
}
