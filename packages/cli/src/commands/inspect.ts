import { inspectModel, type InspectReport } from '@mc-kit/core';
import { Args } from '@oclif/core';
import { McCommand } from '../base-command.js';
import { renderInspect } from '../render/inspect.js';

export default class Inspect extends McCommand {
  static override summary =
    'Show what an ONNX model holds: opsets, inputs and outputs, parameters and where they live (initializers, Constant nodes, If/Loop/Scan bodies), initializers by dtype, mc metadata.';
  static override examples = [
    '<%= config.bin %> inspect examples/mnist-cnn/model.onnx',
    '<%= config.bin %> inspect examples/mnist-cnn --json',
  ];
  static override args = {
    model: Args.string({
      description: 'An .onnx file, or a folder holding model.onnx or onnx/model.onnx.',
      required: true,
    }),
  };

  async run(): Promise<InspectReport> {
    const { args, flags } = await this.parse(Inspect);
    const report = await inspectModel(args.model, await this.context(flags));
    this.log(renderInspect(report));
    return report;
  }
}
