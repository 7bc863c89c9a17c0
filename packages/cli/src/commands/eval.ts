import {
  checkGates,
  checkResultsDir,
  describeOutcome,
  enforceGates,
  evaluateModel,
  evaluateSharded,
  figuresOf,
  parseGates,
  planGates,
  writeResult,
  type EvalResult,
} from '@mc-kit/core';
import { checkQueueName, parseQueueUrl, runQueuedEval } from '@mc-kit/queue';
import { Args, Flags } from '@oclif/core';
import { McCommand, RUNTIME_FLAGS } from '../base-command.js';
import { flagsForParams, flagValuesFromArgv, metricGroups, rawParamsFor, type ParamFlags } from '../param-flags.js';
import { renderEval } from '../render/eval.js';

export default class Eval extends McCommand {
  static override summary =
    'Measure a model with one or more metrics on a dataset: accuracy on an image set, bits per character or perplexity on text.';
  static override description =
    'The dataset kind is detected from the path (a folder with meta.json, a .jsonl or .parquet file, an llm-compression folder, wiki.test.raw, ...) or forced with --dataset-type. Models and datasets may also be hf:owner/name[@rev].\n\n' +
    "Several --metric run in one eval on the model loaded once; each writes its own result (all with the same run id) and they print as one table. Each metric's own flags (for example --block-size and --stride for bpc) are listed here once the metric is named (mc eval --metric bpc --help), and by `mc list --params`; a flag two metrics both take feeds both, and --<metric>.<flag> (--bpc.stride 256) sets it for one.\n\n" +
    '--baseline names the reference model (the dense one) for the metrics that compare against it (kick-* deltas); it is loaded once. A JSON result with model and dataset digests, the raw sums behind each value, and timings goes under --results; --json prints the result, or the list of results when several metrics ran.';
  static override examples = [
    '<%= config.bin %> eval examples/mnist-cnn --metric accuracy --dataset examples/mnist-test',
    '<%= config.bin %> eval mnist-int8.onnx --metric accuracy --dataset examples/mnist-test --limit 500 --json',
    '<%= config.bin %> eval ../shared/models/tiny-stdlib-lm --metric bpc --dataset ../shared/data/stdlib-text/valid.jsonl --block-size 512 --stride 128',
    '<%= config.bin %> eval ../shared/models/tiny-stdlib-lm --metric bpc --metric perplexity --dataset ../shared/data/stdlib-text/valid.jsonl --block-size 512 --seqlen 512 --bpc.stride 128',
    '<%= config.bin %> eval lm-int4 --metric bpc --dataset ../shared/data/stdlib-text/valid.jsonl --baseline ../shared/models/tiny-stdlib-lm --gate "bpc.delta<=0.02"   # exit 3 if it fails',
    '<%= config.bin %> eval lm-int4 --metric bpc --dataset ../shared/data/stdlib-text/valid.jsonl --resume   # killed? the same command continues',
    '<%= config.bin %> eval lm-int4 --metric bpc --dataset /shared/valid.jsonl --shards 8 --queue redis://queue-host:6379   # 8 jobs for mc worker; the same BPC to the last bit',
  ];
  static override args = {
    model: Args.string({
      description: 'An .onnx file, or a folder holding model.onnx (+ config.json).',
      required: true,
    }),
  };
  static override baseFlags = { ...McCommand.baseFlags, ...RUNTIME_FLAGS };
  static override flags = {
    metric: Flags.string({
      description: 'Metric id (repeat for several, run in order on the model loaded once). mc list shows them.',
      required: true,
      multiple: true,
    }),
    dataset: Flags.string({
      char: 'd',
      description: 'Dataset folder or file (metrics that need none, such as latency, may run without it).',
    }),
    'dataset-type': Flags.string({ description: 'Dataset provider id, when detection is not wanted.' }),
    limit: Flags.integer({ description: 'Use only the first N samples (records, for text).', min: 1 }),
    field: Flags.string({
      description: 'Record field holding the text, for jsonl and parquet datasets (default: content).',
    }),
    baseline: Flags.string({
      description: 'Reference model (the dense one) for the metrics that compare against it; loaded once.',
    }),
    results: Flags.string({ description: 'Folder for the JSON results of this run.', default: 'mc-results' }),
    resume: Flags.boolean({
      description:
        "Record progress (windows, items) under <results>/.cache and continue an interrupted run of the same model, data, metric and flags from it: bpc, perplexity, kld and every kick-* task. The figures equal an uninterrupted run's bit for bit; the cache goes once the result is written. Without --resume nothing is cached.",
    }),
    gate: Flags.string({
      description:
        'Quality gate "<figure> <op> <number>" (repeatable), op one of < <= > >= == !=; figures are <metric>.<value> (bpc.bpc, accuracy.top1), <metric>.<value>.delta and <metric>.delta (against --baseline; the metric then runs on the baseline too). A failing gate exits 3 after the results are written.',
      multiple: true,
    }),
    shards: Flags.integer({
      description:
        "Split each metric's windows or items into N contiguous shards and merge their per-token and per-item records in order: the figures equal one process's bit for bit. bpc, perplexity, kld and kick-mcq split. Without --queue the shards run here one after another (each loads the model); with --queue each is an 'eval-shard' job for mc worker.",
      min: 1,
      max: 10_000,
      helpGroup: 'QUEUE',
    }),
    queue: Flags.string({
      description:
        'Run the --shards on workers (mc worker) through this Redis: redis://[user:password@]host[:port][/db], rediss:// for TLS. Paths must be ones every worker can read (a shared filesystem) or hf: references. Run the same command again to re-attach after this process stopped.',
      dependsOn: ['shards'],
      helpGroup: 'QUEUE',
    }),
    name: Flags.string({
      description: "The queue's name (default: mc-eval- and a hash of the eval's parameters and --shards).",
      dependsOn: ['queue'],
      helpGroup: 'QUEUE',
    }),
    attempts: Flags.integer({
      description: 'Tries per shard with --queue: a crash is retried; a user error is not.',
      default: 3,
      min: 1,
      helpGroup: 'QUEUE',
    }),
  };

  /** Each chosen metric's own flags, read from the raw command line before oclif parses it. */
  static paramFlags: ParamFlags = (argv, registry) =>
    flagsForParams(metricGroups(registry, flagValuesFromArgv(argv, 'metric')));

  async run(): Promise<EvalResult | EvalResult[]> {
    const registry = await this.registry();
    const { args, flags } = await this.parseWithExtraFlags(Eval, Eval.paramFlags(this.argv, registry));
    await checkResultsDir(flags.results); // before any work
    const metrics = (flags.metric as string[]).map((id) => ({
      id,
      params: registry.has('metric', id) ? rawParamsFor(registry.metric(id).params, flags, id) : {},
    }));
    const gates = parseGates(flags.gate ?? []);
    const alsoOnBaseline = planGates(
      gates,
      metrics.map((m) => registry.metric(m.id)),
      flags.baseline !== undefined,
    );
    const ctx = await this.context(flags);
    const request = {
      model: args.model,
      metrics,
      dataset: flags.dataset,
      datasetType: flags['dataset-type'],
      limit: flags.limit,
      field: flags.field,
      baseline: flags.baseline,
      alsoOnBaseline,
      seed: flags.seed,
      resume: flags.resume ? flags.results : undefined,
    };
    const results =
      flags.shards === undefined
        ? await evaluateModel(registry, request, ctx)
        : flags.queue === undefined
          ? await evaluateSharded(registry, request, flags.shards, ctx)
          : (
              await runQueuedEval(
                registry,
                request,
                flags.shards,
                {
                  connection: parseQueueUrl(flags.queue),
                  name: flags.name === undefined ? undefined : checkQueueName(flags.name),
                  attempts: flags.attempts,
                },
                ctx,
              )
            ).results;
    const paths: string[] = [];
    for (const r of results) paths.push(await writeResult(flags.results, r));
    const outcomes = checkGates(gates, figuresOf(results));
    this.log([renderEval(results, paths), ...outcomes.map(describeOutcome)].join('\n'));
    enforceGates(outcomes); // exit 3 after the results are written
    return results.length === 1 ? results[0] : results;
  }
}
