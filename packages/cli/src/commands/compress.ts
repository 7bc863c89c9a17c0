import {
  CALIBRATION_DEFAULTS,
  checkResultsDir,
  compressModel,
  createCalibration,
  DEFAULT_PROBES,
  DRIFT_THRESHOLDS,
  percent,
  writeResult,
  type CompressResult,
} from '@mc-kit/core';
import { Args, Flags } from '@oclif/core';
import { McCommand, RUNTIME_FLAGS } from '../base-command.js';
import { sameDataWarning } from '../same-data.js';
import { flagsForParams, flagValuesFromArgv, methodGroups, rawParamsFor, type ParamFlags } from '../param-flags.js';
import { renderCompress } from '../render/compress.js';

export default class Compress extends McCommand {
  static override summary =
    'Compress an ONNX model with one method or a chain of them; the result still runs in stock onnxruntime.';
  static override description =
    "Methods run in the order given (--method prune --method int4). Each method's own flags (for example --scheme, --min-size, --include for int8) are listed here once the method is named (mc compress --method int8 --help), and by `mc list --params`. A flag two chained methods both take feeds both; --<method>.<flag> (--int4.block-size 128, --prune.granularity row) sets it for one.\n\n" +
    "The input is never modified and the output is written atomically. --out x.onnx writes one file; any other --out is a new folder holding model.onnx and the source folder's config and tokenizer files, ready for mc eval. A JSON result with digests, parameters, measured bits per weight and timings goes under --results.\n\n" +
    "Every output is checked before it appears: the graph is validated, it must load in a plain onnxruntime CPU session, and the dense and compressed models run the same probe inputs (random ones shaped from the graph's inputs and seeded by --seed, or windows of --probe-dataset text). The relative output error ||y - y'||/||y|| and, where an output has a class axis, the top-1 agreement are printed and kept in the result; " +
    `a relative error of ${percent(DRIFT_THRESHOLDS.relativeError)} or more, or an agreement under ${percent(DRIFT_THRESHOLDS.top1Agreement)}, is warned about. The file bits per parameter (8 x output bytes / parameters of the source) say what the file really costs.`;
  static override examples = [
    '<%= config.bin %> compress examples/mnist-cnn/model.onnx --method int8 --out mnist-int8.onnx',
    '<%= config.bin %> compress model.onnx --method int8 --scheme asym --exclude "head.*" --out model-int8.onnx --json',
    '<%= config.bin %> compress ../shared/models/tiny-stdlib-lm --method int8 --out lm-int8   # a folder, ready for mc eval --metric bpc',
    '<%= config.bin %> compress model.onnx --method prune --method int4 --sparsity 0.5 --prune.granularity row --int4.block-size 128 --out model-p-q4.onnx',
    '<%= config.bin %> compress ../shared/models/tiny-stdlib-lm --method int4 --probe-dataset ../shared/data/stdlib-text/valid.jsonl --out lm-int4   # drift on real text',
    '<%= config.bin %> compress ../shared/models/mnist-cnn --method gptq --group-size 16 --min-size 1 --calib-dataset ../shared/data/mnist-calib --out mnist-gptq   # Conv and Gemm, calibrated on images',
  ];
  static override args = {
    model: Args.string({
      description: 'An .onnx file, or a folder holding model.onnx or onnx/model.onnx.',
      required: true,
    }),
  };
  static override baseFlags = { ...McCommand.baseFlags, ...RUNTIME_FLAGS };
  static override flags = {
    method: Flags.string({
      char: 'm',
      description: 'Compression method id (repeat to chain). mc list shows them.',
      multiple: true,
      required: true,
    }),
    out: Flags.string({
      char: 'o',
      description: 'Output: a .onnx file, or a new folder (model.onnx + config/tokenizer files). Never the input.',
      required: true,
    }),
    results: Flags.string({ description: 'Folder for the JSON result of this run.', default: 'mc-results' }),
    'calib-dataset': Flags.string({
      description:
        "Dataset for data-aware methods (gptq, wanda, sparsegpt), any that mc eval reads: text (a folder, .jsonl/.txt file or hf: id; token windows, needs the model's tokenizer.json) or images (a u8-images/u8-masks folder; preprocessed as config.json's preprocessing says, as the accuracy and dice metrics do; labels and masks are never read).",
      helpGroup: 'CALIBRATION',
    }),
    'calib-samples': Flags.integer({
      description: 'Calibration text windows, or images, drawn at random (seeded by --seed).',
      default: CALIBRATION_DEFAULTS.samples,
      min: 1,
      helpGroup: 'CALIBRATION',
    }),
    'calib-seqlen': Flags.integer({
      description: `Tokens per calibration window [default: ${CALIBRATION_DEFAULTS.seqlen}, capped by the model's context in config.json].`,
      min: 2,
      helpGroup: 'CALIBRATION',
    }),
    'calib-dataset-type': Flags.string({
      description: 'Dataset provider for --calib-dataset when it is ambiguous (mc list shows them).',
      helpGroup: 'CALIBRATION',
    }),
    probes: Flags.integer({
      description:
        'Probe inputs run through the dense and the compressed model to measure drift. 0: no drift, and no onnxruntime session on the input (less memory); the output is still loaded in onnxruntime.',
      default: DEFAULT_PROBES,
      min: 0,
      helpGroup: 'DRIFT',
    }),
    'probe-dataset': Flags.string({
      description:
        'Dataset to draw the probes from instead of random inputs: text (token windows, for language models) or images (for image models).',
      helpGroup: 'DRIFT',
    }),
    'probe-dataset-type': Flags.string({
      description: 'Dataset provider for --probe-dataset when it is ambiguous.',
      helpGroup: 'DRIFT',
    }),
  };

  /** Each chosen method's own flags, read from the raw command line before oclif parses it. */
  static paramFlags: ParamFlags = (argv, registry) =>
    flagsForParams(methodGroups(registry, flagValuesFromArgv(argv, 'method', 'm')));

  async run(): Promise<CompressResult> {
    const registry = await this.registry();
    const { args, flags } = await this.parseWithExtraFlags(Compress, Compress.paramFlags(this.argv, registry));
    await checkResultsDir(flags.results); // before any work, not after the model is written
    const base = await this.context(flags);
    // Lazy: nothing is read unless a method asks for calibration data.
    const calibration = flags['calib-dataset']
      ? createCalibration(
          {
            dataset: flags['calib-dataset'],
            datasetType: flags['calib-dataset-type'],
            samples: flags['calib-samples'],
            seqlen: flags['calib-seqlen'],
            model: args.model,
            registry,
          },
          base,
        )
      : undefined;
    const ctx = { ...base, calibration };
    const result = await compressModel(
      registry,
      {
        model: args.model,
        out: flags.out,
        seed: flags.seed,
        probes: flags.probes,
        probeDataset: flags['probe-dataset'],
        probeDatasetType: flags['probe-dataset-type'],
        probesFromCalibration: true,
        methods: (flags.method as string[]).map((id) => ({
          id,
          params: registry.has('compressor', id) ? rawParamsFor(registry.compressor(id).params, flags, id) : {},
        })),
      },
      ctx,
    );
    const overlap = sameDataWarning(
      { flag: '--calib-dataset', ref: flags['calib-dataset'] },
      { flag: '--probe-dataset', ref: flags['probe-dataset'] },
      'the drift below is measured on the data the methods were calibrated on (in-sample), so it reads smaller than on unseen data',
    );
    if (overlap) ctx.log.warn(overlap);
    const resultPath = await writeResult(flags.results, result);
    this.log(renderCompress(result, resultPath));
    return result;
  }
}
