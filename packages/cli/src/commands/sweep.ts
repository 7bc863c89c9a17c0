import { dirname, join, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import {
  assertFileOrFolder,
  assertWritableDir,
  buildReport,
  checkProbeOptions,
  checkGates,
  checkResultsDir,
  compressModel,
  createCalibration,
  describeOutcome,
  enforceGates,
  ErrorCodes,
  evaluateModel,
  figuresOf,
  isHubRef,
  isUserError,
  lockOutput,
  parseGates,
  planGates,
  planMethods,
  planMetric,
  readResultInputs,
  UserError,
  writeResult,
  type EvalResult,
  type Gate,
  type GateOutcome,
  type MethodRequest,
  type Registry,
  type Report,
} from '@mc-kit/core';
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
import { parseSweep, type SweepPoint } from '../sweep/points.js';
import Compress from './compress.js';

export interface SweepRow {
  readonly point: string;
  readonly output: string;
  readonly bytes: number;
  readonly sizeRatio: number;
  readonly bitsPerWeight?: number;
  readonly fileBitsPerParameter?: number;
  readonly compressS: number;
  readonly metric: Record<string, number>;
  /** the point's figures as mc report names them (accuracy.top1, accuracy.delta against the dense point, size.ratio, ...) */
  readonly figures: Record<string, number>;
  readonly results: readonly string[];
  /** the --gate outcomes at this point */
  readonly gates?: readonly GateOutcome[];
}

/** The parsed flags the points need (the metric's and methods' own flags travel as raw params). */
interface SweepFlags {
  readonly seed: number;
  readonly results: string;
  readonly metric: string;
  readonly dataset: string;
  readonly 'dataset-type'?: string;
  readonly limit?: number;
  readonly field?: string;
  readonly 'calib-dataset'?: string;
  readonly 'calib-dataset-type'?: string;
  readonly 'calib-samples': number;
  readonly 'calib-seqlen'?: number;
  readonly probes: number;
  readonly 'probe-dataset'?: string;
  readonly 'probe-dataset-type'?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
  readonly device?: string;
}

export default class Sweep extends McCommand {
  static override summary =
    'Compress a model at several settings and evaluate every one: one compress and one eval result per point.';
  static override description =
    'The swept parameter belongs to the first --method: --sweep 0,0.2,0.5 sets its --sparsity (--ratio for --algo channel), --sweep NAME=a,b any parameter, --sweep recipe.json one object of parameters per point. Every other flag is passed on as in mc compress and mc eval.\n\n' +
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
      description: "Values of the first method's --sparsity (or --ratio), NAME=v1,v2, or a JSON recipe file.",
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
    const methods = flags.method as string[];
    const first = registry.compressor(methods[0]);
    const channel = flagValuesFromArgv(this.argv, 'algo').includes('channel');
    const points = parseSweep(
      flags.sweep,
      channel ? 'ratio' : 'sparsity',
      first.params.map((p) => p.name),
    );
    const requestOf = (point: SweepPoint) =>
      methods.map((id, k) => ({
        id,
        params: {
          ...(registry.has('compressor', id) ? rawParamsFor(registry.compressor(id).params, flags, id) : {}),
          ...(k === 0 ? point.overrides : {}),
        },
      }));
    const metricRaw = rawParamsFor(metricParams, flags, metricId);
    // Check everything, then act: every point's parameters, the metric's, the dataset, --results and
    // --out, before the first model is written.
    for (const point of points) {
      try {
        planMethods(registry, requestOf(point));
      } catch (e) {
        throw isUserError(e) ? new UserError(e.code, `sweep point ${point.label}: ${e.message}`, { hint: e.hint }) : e;
      }
    }
    const { metric } = planMetric(registry, flags.metric, metricRaw);
    const gates = parseGates(flags.gate ?? []);
    planGates(gates, [metric], true); // checked before any work; the dense input is every point's baseline
    checkProbeOptions({ probes: flags.probes, dataset: flags['probe-dataset'] });
    if (!isHubRef(flags.dataset)) assertFileOrFolder(resolve(flags.dataset), 'dataset', ErrorCodes.BAD_DATASET);
    await checkResultsDir(flags.results);
    if (flags.out.trim() === '')
      throw new UserError(ErrorCodes.BAD_PARAM, '--out is empty', {
        hint: "--out names a new folder for the points' models",
      });
    const outDir = resolve(flags.out);
    await assertWritableDir(dirname(outDir), `--out ${flags.out}`);
    const lock = await lockOutput(outDir);
    const created = !existsSync(outDir);
    try {
      if (!created && (!statSync(outDir).isDirectory() || readdirSync(outDir).length > 0))
        throw new UserError(ErrorCodes.UNWRITABLE, `--out ${flags.out} already exists and is not an empty folder`, {
          hint: 'choose a new folder',
        });
      const overlap = sameDataWarning(
        { flag: '--calib-dataset', ref: flags['calib-dataset'] },
        { flag: '--dataset', ref: flags.dataset },
        'the points are calibrated on the data they are scored on, which flatters the data-aware methods (calibrate on another split)',
      );
      if (overlap) process.stderr.write(`warning: ${overlap}\n`); // before the first point, not among its progress
      const { rows, report } = await this.runPoints(
        registry,
        args.model,
        flags as unknown as SweepFlags,
        points,
        requestOf,
        metricRaw,
        outDir,
        gates,
      );
      this.log(reportTable(report));
      this.log(
        `results: ${resolve(flags.results)} (the dense model's eval, then one compress and one eval result per point); summary: ${join(outDir, 'report.html')}`,
      );
      const outcomes = rows.flatMap((r) => r.gates ?? []);
      for (const o of outcomes) this.log(describeOutcome(o));
      enforceGates(outcomes); // exit 3 once every point is done and written
      return rows;
    } catch (e) {
      // a failure at the first point leaves no empty --out behind; completed points stay (each is whole)
      if (created && existsSync(outDir) && readdirSync(outDir).length === 0) rmdirSync(outDir);
      throw e;
    } finally {
      await lock.release();
    }
  }

  private async runPoints(
    registry: Registry,
    model: string,
    flags: SweepFlags,
    points: readonly SweepPoint[],
    requestOf: (point: SweepPoint) => MethodRequest[],
    metricRaw: Record<string, unknown>,
    outDir: string,
    gates: readonly Gate[],
  ): Promise<{ rows: SweepRow[]; report: Report }> {
    const base = await this.context(flags);
    const calibration = flags['calib-dataset']
      ? createCalibration(
          {
            dataset: flags['calib-dataset'],
            datasetType: flags['calib-dataset-type'],
            samples: flags['calib-samples'],
            seqlen: flags['calib-seqlen'],
            model,
            registry,
          },
          base,
        )
      : undefined;
    const ctx = { ...base, calibration }; // one source: the calibration text is read and tokenized once
    await mkdir(outDir, { recursive: true });
    // the dense point first: the reference of every delta (and of .delta gates), and a metric or dataset problem shows before any compression
    base.log.info(`sweep: the dense model`);
    const evalOf = async (m: string) =>
      (
        await evaluateModel(
          registry,
          {
            model: m,
            metrics: [{ id: flags.metric, params: metricRaw }],
            dataset: flags.dataset,
            datasetType: flags['dataset-type'],
            limit: flags.limit,
            field: flags.field,
            seed: flags.seed,
          },
          base,
        )
      )[0];
    const dense = await evalOf(model);
    const denseResult = await writeResult(flags.results, dense);
    const drafts: (Omit<SweepRow, 'figures'> & { sha256: string })[] = [];
    for (const [i, point] of points.entries()) {
      base.log.info(`sweep ${i + 1}/${points.length}: ${point.label}`);
      const out = join(
        outDir,
        `${String(i + 1).padStart(2, '0')}-${point.label.replace(/[^\w.=,:-]+/g, '_').replace(/[:=,]/g, '-')}`,
      );
      const c = await compressModel(
        registry,
        {
          model,
          out,
          seed: flags.seed,
          probes: flags.probes,
          probeDataset: flags['probe-dataset'],
          probeDatasetType: flags['probe-dataset-type'],
          probesFromCalibration: true,
          methods: requestOf(point),
        },
        ctx,
      );
      const measured = await evalOf(out);
      const e: EvalResult = {
        ...measured,
        baseline: dense.model,
        metric: { ...measured.metric, baselineValues: dense.metric.values },
      };
      const results = [await writeResult(flags.results, c), await writeResult(flags.results, e)];
      drafts.push({
        sha256: c.output.sha256,
        point: point.label,
        output: out,
        bytes: c.output.bytes,
        sizeRatio: c.sizeRatio,
        bitsPerWeight: c.bitsPerWeight,
        fileBitsPerParameter: c.fileBitsPerParameter,
        compressS: c.timings.compressS,
        metric: Object.fromEntries(Object.entries(e.metric.values).map(([k, v]) => [k, v.value])),
        results,
        ...(gates.length ? { gates: checkGates(gates, figuresOf([e]), `point ${point.label}`) } : {}),
      });
    }
    // this sweep's results only (--results may hold others): the same join mc report does
    const report = buildReport(await readResultInputs([denseResult, ...drafts.flatMap((d) => d.results)]), {
      seed: flags.seed,
    });
    await writeSweepSummary(report, outDir, { x: 'size' }, `mc sweep: ${model}`);
    const rows = drafts.map(({ sha256, ...d }) => ({
      ...d,
      figures: report.rows.find((r) => r.model.sha256 === sha256)?.figures ?? {},
    }));
    return { rows, report };
  }
}
