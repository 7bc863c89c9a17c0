import { checkResultsDir, evaluateModel, writeResult, type EvalResult } from '@mc-kit/core';
import { Args, Flags } from '@oclif/core';
import { McCommand } from '../base-command.js';
import { flagsForParams, flagValuesFromArgv, rawParamsFor } from '../param-flags.js';
import { renderEval } from '../render/eval.js';

export default class Eval extends McCommand {
  static override summary = 'Measure a model with a metric on a dataset: accuracy on an image set, bits per character or perplexity on text.';
  static override description =
    'The dataset kind is detected from the path (a folder with meta.json, a .jsonl or .parquet file, an llm-compression folder, wiki.test.raw, ...) or forced with --dataset-type. Models and datasets may also be hf:owner/name[@rev].\n\n' +
    "The metric's own flags (for example --block-size and --stride for bpc) are listed by `mc list --params`. A JSON result with model and dataset digests, the raw sums behind each value, and timings goes under --results.";
  static override examples = [
    '<%= config.bin %> eval examples/mnist-cnn --metric accuracy --dataset examples/mnist-test',
    '<%= config.bin %> eval mnist-int8.onnx --metric accuracy --dataset examples/mnist-test --limit 500 --json',
    '<%= config.bin %> eval ../shared/models/tiny-stdlib-lm --metric bpc --dataset ../shared/data/stdlib-text/valid.jsonl --block-size 512 --stride 128',
    '<%= config.bin %> eval ../shared/models/tiny-stdlib-lm --metric perplexity --dataset ../shared/data/stdlib-text/valid.jsonl --seqlen 512',
  ];
  static override args = { model: Args.string({ description: 'An .onnx file, or a folder holding model.onnx (+ config.json).', required: true }) };
  static override flags = {
    metric: Flags.string({ description: 'Metric id (mc list shows them).', required: true }),
    dataset: Flags.string({ char: 'd', description: 'Dataset folder or file.', required: true }),
    'dataset-type': Flags.string({ description: 'Dataset provider id, when detection is not wanted.' }),
    limit: Flags.integer({ description: 'Use only the first N samples (records, for text).', min: 1 }),
    field: Flags.string({ description: 'Record field holding the text, for jsonl and parquet datasets (default: content).' }),
    results: Flags.string({ description: 'Folder for the JSON result of this run.', default: 'mc-results' }),
  };

  async run(): Promise<EvalResult> {
    const registry = await this.registry();
    const [metricId] = flagValuesFromArgv(this.argv, 'metric');
    const params = metricId && registry.has('metric', metricId) ? registry.metric(metricId).params : [];
    const { args, flags } = await this.parseWithExtraFlags(Eval, flagsForParams([{ owner: 'METRIC FLAGS', params }]));
    await checkResultsDir(flags.results); // before any work
    const ctx = await this.context(flags);
    const result = await evaluateModel(
      registry,
      { model: args.model, metric: flags.metric, dataset: flags.dataset, datasetType: flags['dataset-type'], limit: flags.limit, field: flags.field, params: rawParamsFor(params, flags), seed: flags.seed },
      ctx,
    );
    const resultPath = await writeResult(flags.results, result);
    this.log(renderEval(result, resultPath));
    return result;
  }
}
