import { convertModel, MAX_OPSET, MIN_OPSET, type ConvertResult } from '@mc-kit/core';
import { Args, Flags } from '@oclif/core';
import { McCommand, RUNTIME_FLAGS } from '../base-command.js';
import { renderConvert } from '../render/convert.js';

export default class Convert extends McCommand {
  static override summary =
    'Move a model to a newer default-domain ONNX opset, checked in onnxruntime: the outputs must not change.';
  static override description =
    `Every op whose signature or meaning changed on the way (Softmax's axis at 13, Clip/Pad/Slice attributes that became inputs, Upsample to Resize, Reduce* axes, BatchNormalization's outputs, ...) is rewritten to mean at the new opset what it meant at the old one. An op mc has no adapter for is refused by name. The converted model is then run beside the original on seeded random probe inputs (symbolic dimensions get small sizes) and written only if every output agrees to 1e-5 relative; otherwise the op whose output moved is named and nothing is written.\n\n` +
    `Opsets ${MIN_OPSET} to ${MAX_OPSET} (the newest onnxruntime-node 1.30 runs); upward only. Other domains (com.microsoft, ai.onnx.ml) are left as they are. The IR version is raised with the opset where it must be. mc compress does this on its own where a method needs a newer opset, so converting first is never required.`;
  static override examples = [
    '<%= config.bin %> convert model-opset11.onnx --opset 21 --out model-opset21.onnx',
    '<%= config.bin %> convert paddle-export/ --opset 13 --out converted.onnx --json',
  ];
  static override args = {
    model: Args.string({
      description: 'An .onnx file, or a folder holding model.onnx or onnx/model.onnx.',
      required: true,
    }),
  };
  static override baseFlags = { ...McCommand.baseFlags, ...RUNTIME_FLAGS };
  static override flags = {
    opset: Flags.integer({
      description: `Target default-domain opset (${MIN_OPSET} to ${MAX_OPSET}).`,
      required: true,
    }),
    out: Flags.string({
      char: 'o',
      description: 'Output: a .onnx file, or a new folder (model.onnx + config/tokenizer files). Never the input.',
      required: true,
    }),
    probes: Flags.integer({
      description: 'Seeded random inputs run through both models (--seed picks them).',
      default: 3,
      min: 1,
    }),
  };

  async run(): Promise<ConvertResult> {
    const { args, flags } = await this.parse(Convert);
    const result = await convertModel(
      { model: args.model, opset: flags.opset, out: flags.out, probes: flags.probes },
      await this.context(flags),
    );
    this.log(renderConvert(result));
    return result;
  }
}
