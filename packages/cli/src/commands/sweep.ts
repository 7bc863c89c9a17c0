import { join, resolve } from 'node:path';
import { describeOutcome, enforceGates, runSweep, type Report, type SweepRequest, type SweepRow } from '@mc-kit/core';
import { parseQueueUrl, checkQueueName, runQueuedSweep } from '@mc-kit/queue';
import { Args, Flags } from '@oclif/core';
import { McCommand, RUNTIME_FLAGS } from '../base-command.js';
import { sameDataWarning } from '../same-data.js';
import {
  flagsForParams,
  flagValuesFromArgv,
  methodGroups,
  metricGroups,
  rawParamsFor,
  type ParamFlags,
} from '../param-flags.js';
import { writeSweepSummary } from '../render/report-files.js';
import { reportTable } from '../render/report-table.js';
import Compress from './compress.js';

export default class Sweep extends McCommand {
  static override summary =
    'Compress a model at several settings and evaluate every one: one compress and one eval result per point.';
  static override description =
    'The swept parameter belongs to the first --method: --sweep 0,0.2,0.5 sets the parameter that method declares for sweeps (mc list --params names it; a method that declares none needs --sweep NAME=a,b), --sweep NAME=a,b any parameter, --sweep recipe.json one object of parameters per point. Every other flag is passed on as in mc compress and mc eval.\n\n' +
    'The dense model is evaluated too, with the same metric and data: it is the first row of the table and the reference of every delta. --out then holds summary.json (what mc report --format json gives), summary.csv and report.html (the chart and the table, one self-contained page).';
  static override examples = [
    '<%= config.bin %> sweep ../shared/models/tiny-stdlib-lm --method prune --sweep 0,0.2,0.4,0.5 --metric bpc --dataset ../shared/data/stdlib-text/valid.jsonl --block-size 512 --stride 128 --out sweep-lm',
    '<%= config.bin %> sweep ../shared/models/mnist-cnn --method prune --algo channel --sweep 0.1,0.25 --metric accuracy --dataset ../shared/data/mnist-test --out sweep-mnist',
  ];
  static override args = { model: Args.string({ description: 'An .onnx file, or a model folder.', required: true }) };
  static override baseFlags = { ...McCommand.baseFlags, ...RUNTIME_FLAGS };
  static override flags = {
    method: Flags.string({
      char: 'm',
      description: "Compression method id (repeat to chain); the sweep sets the first one's parameter.",
      multiple: true,
      required: true,
    }),
    sweep: Flags.string({
      description:
        "Values of the first method's sweep parameter, NAME=v1,v2 for any of its parameters, or a JSON recipe file.",
      required: true,
    }),
    metric: Flags.string({ description: 'Metric id for every point.', required: true }),
    dataset: Flags.string({ char: 'd', description: 'Dataset to evaluate every point on.', required: true }),
    'dataset-type': Flags.string({ description: 'Dataset provider id, when detection is not wanted.' }),
    limit: Flags.integer({ description: 'Evaluate only the first N samples (records, for text).', min: 1 }),
    field: Flags.string({ description: 'Record field holding the text (jsonl, parquet).' }),
    out: Flags.string({
      char: 'o',
      description: 'New folder: one model folder per point, summary.json, summary.csv and report.html.',
      required: true,
    }),
    results: Flags.string({ description: 'Folder for the JSON results.', default: 'mc-results' }),
    'calib-dataset': Compress.flags['calib-dataset'],
    'calib-samples': Compress.flags['calib-samples'],
    'calib-seqlen': Compress.flags['calib-seqlen'],
    'calib-dataset-type': Compress.flags['calib-dataset-type'],
    probes: Compress.flags.probes,
    'probe-dataset': Compress.flags['probe-dataset'],
    'probe-dataset-type': Compress.flags['probe-dataset-type'],
    gate: Flags.string({
      description:
        'Quality gate "<figure> <op> <number>" checked at every point (repeatable), as in mc eval; .delta figures are against the dense input model, evaluated once. A failing gate exits 3 after every point is done, naming the points.',
      multiple: true,
    }),
    queue: Flags.string({
      description:
        'Run the points on workers (mc worker) through this Redis: redis://[user:password@]host[:port][/db], rediss:// for TLS. Paths must be ones every worker can read (a shared filesystem) or hf: references; the dense model is evaluated here. The password never appears in output or results.',
      helpGroup: 'QUEUE',
    }),
    name: Flags.string({
      description:
        "The queue's name (default: mc-sweep- and a hash of the sweep's parameters, so the same command finds it again).",
      dependsOn: ['queue'],
      helpGroup: 'QUEUE',
    }),
    resume: Flags.boolean({
      description:
        "Re-attach to this sweep's queue after the coordinator stopped: done points are collected, not run again; failed ones are tried again.",
      dependsOn: ['queue'],
      helpGroup: 'QUEUE',
    }),
    attempts: Flags.integer({
      description: 'Tries per point: a crash (a worker bug, a lost machine) is retried; a user error is not.',
      default: 3,
      min: 1,
      helpGroup: 'QUEUE',
    }),
  };

  /** The chosen methods' and the metric's own flags, read from the raw command line before oclif parses it. */
  static paramFlags: ParamFlags = (argv, registry) =>
    flagsForParams([
      ...methodGroups(registry, flagValuesFromArgv(argv, 'method', 'm')),
      ...metricGroups(registry, flagValuesFromArgv(argv, 'metric').slice(0, 1)),
    ]);

  async run(): Promise<SweepRow[]> {
    const registry = await this.registry();
    const [metricId] = flagValuesFromArgv(this.argv, 'metric');
    const metricParams = metricId && registry.has('metric', metricId) ? registry.metric(metricId).params : [];
    const { args, flags } = await this.parseWithExtraFlags(Sweep, Sweep.paramFlags(this.argv, registry));
    const request: SweepRequest = {
      model: args.model,
      methods: (flags.method as string[]).map((id) => ({
        id,
        params: registry.has('compressor', id) ? rawParamsFor(registry.compressor(id).params, flags, id) : {},
      })),
      sweep: flags.sweep,
      metric: { id: flags.metric, params: rawParamsFor(metricParams, flags, metricId) },
      dataset: flags.dataset,
      datasetType: flags['dataset-type'],
      limit: flags.limit,
      field: flags.field,
      seed: flags.seed,
      calibration: flags['calib-dataset']
        ? {
            dataset: flags['calib-dataset'],
            datasetType: flags['calib-dataset-type'],
            samples: flags['calib-samples'],
            seqlen: flags['calib-seqlen'],
          }
        : undefined,
      probes: flags.probes,
      probeDataset: flags['probe-dataset'],
      probeDatasetType: flags['probe-dataset-type'],
      out: flags.out,
      results: flags.results,
      gates: flags.gate ?? [],
    };
    const ctx = await this.context(flags);
    const writeSummary = (r: Report, dir: string, title: string) => writeSweepSummary(r, dir, { x: 'size' }, title);
    const warnSameData = () => {
      // after every check, before the first point: a refused sweep stays one line
      const overlap = sameDataWarning(
        { flag: '--calib-dataset', ref: flags['calib-dataset'] },
        { flag: '--dataset', ref: flags.dataset },
        'the points are calibrated on the data they are scored on, which flatters the data-aware methods (calibrate on another split)',
      );
      if (overlap) ctx.log.warn(overlap);
    };
    if (flags.queue) warnSameData(); // the coordinator checks as it goes: said before it enqueues
    const { rows, report } = flags.queue
      ? await runQueuedSweep(
          registry,
          request,
          {
            connection: parseQueueUrl(flags.queue),
            name: flags.name === undefined ? undefined : checkQueueName(flags.name),
            resume: flags.resume,
            attempts: flags.attempts,
          },
          ctx,
          writeSummary,
        )
      : await runSweep(registry, request, ctx, writeSummary, warnSameData);
    this.log(reportTable(report));
    this.log(
      `results: ${resolve(flags.results)} (the dense model's eval, then one compress and one eval result per point); summary: ${join(resolve(flags.out), 'report.html')}`,
    );
    const outcomes = rows.flatMap((r) => r.gates ?? []);
    for (const o of outcomes) this.log(describeOutcome(o));
    enforceGates(outcomes); // exit 3 once every point is done and written
    return rows;
  }
}
