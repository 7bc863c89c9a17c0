import {
  checkReportGates,
  describeOutcome,
  enforceGates,
  ErrorCodes,
  parseGates,
  reportResults,
  UserError,
  writeFileAtomic,
  type Report as ReportData,
} from '@mc-kit/core';
import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { McCommand } from '../base-command.js';
import type { ChartX } from '../render/report-chart.js';
import { checkTargets, REPORT_FORMATS, renderReport, writeChart, type ReportFormat } from '../render/report-files.js';

export default class Report extends McCommand {
  static override summary =
    'Compare compressions: join compress and eval results into one row per model, with deltas against the dense model, as a table, Markdown, CSV, JSON or an HTML page with a chart.';
  static override description =
    "Results are joined by sha256: a compress result's output is the model an eval measured, and chains (prune, then int4) are followed back to the dense source, whose evals make the dense row. " +
    "Each metric value is shown ± its standard error; Δ is the value minus the dense model's on the same data and parameters, with a paired bootstrap interval where both results kept per-item scores. " +
    '--json (or --format json) gives every row with a flat `figures` map (accuracy.top1, accuracy.delta, size.ratio, ...).';
  static override examples = [
    '<%= config.bin %> report mc-results',
    '<%= config.bin %> report mc-results --format md',
    '<%= config.bin %> report mc-results --format html --out report.html --chart size-vs-accuracy',
    '<%= config.bin %> report mc-results/compress-*.json mc-results/eval-*.json --format csv --out summary.csv',
    '<%= config.bin %> report mc-results --gate "accuracy.delta>=-0.01" --gate "size.ratio>=3"',
  ];
  static override strict = false;
  static override args = {
    results: Args.string({
      description: 'Results folders (every mc result directly inside) or result files; default mc-results.',
    }),
  };
  static override flags = {
    format: Flags.string({ char: 'f', description: 'Output format.', options: [...REPORT_FORMATS], default: 'table' }),
    out: Flags.string({ char: 'o', description: 'Write the report to this file instead of stdout.' }),
    chart: Flags.string({
      description: 'Also draw the chart to FILE-PREFIX.svg and FILE-PREFIX.png.',
      helpValue: 'FILE-PREFIX',
    }),
    'chart-x': Flags.string({
      description: 'Chart x axis: file size (MiB) or file bits per parameter.',
      options: ['size', 'bits'],
      default: 'size',
    }),
    'chart-metric': Flags.string({
      description: 'Chart y axis: METRIC (its first value) or METRIC.VALUE (default: the first metric found).',
    }),
    resamples: Flags.integer({ description: 'Bootstrap resamples for the delta intervals.', default: 1000, min: 1 }),
    seed: Flags.integer({
      description: 'Seed of the bootstrap resampling (the same seed gives the same intervals).',
      default: 0,
    }),
    level: Flags.string({ description: 'Confidence level of the delta intervals, in (0, 1).', default: '0.95' }),
    gate: Flags.string({
      description:
        'Quality gate "<figure> <op> <number>" checked on every compressed row (repeatable), as in mc eval: e.g. "accuracy.delta>=-0.01" or "size.ratio>=3". A failing gate exits 3 after the report is written, naming the rows.',
      multiple: true,
    }),
  };

  async run(): Promise<ReportData> {
    const { argv, flags } = await this.parse(Report);
    const level = Number(flags.level);
    if (!(level > 0 && level < 1))
      throw new UserError(ErrorCodes.BAD_PARAM, `--level ${flags.level} is not a number between 0 and 1`, {
        hint: 'e.g. --level 0.95',
      });
    const gates = parseGates(flags.gate ?? []); // bad syntax: exit 2 before any file is read
    const chart = { x: flags['chart-x'] as ChartX, metric: flags['chart-metric'] };
    await checkTargets([flags.out, flags.chart].filter((p): p is string => !!p));
    const report = await reportResults({
      inputs: argv.length > 0 ? (argv as string[]) : ['mc-results'],
      resamples: flags.resamples,
      level,
      seed: flags.seed,
    });
    const outcomes = checkReportGates(report, gates); // an unknown figure: exit 2 before anything is written
    const text = await renderReport(report, flags.format as ReportFormat, chart);
    const written = flags.chart ? await writeChart(report, flags.chart, chart) : [];
    if (flags.out) {
      await writeFileAtomic(resolve(flags.out), text.endsWith('\n') ? text : `${text}\n`);
      written.unshift(resolve(flags.out));
    } else {
      this.log(text);
    }
    for (const n of report.notes) this.logToStderr(`note: ${n}`);
    if (written.length > 0) this.logToStderr(`wrote ${written.join(', ')}`);
    for (const o of outcomes) this.logToStderr(describeOutcome(o));
    enforceGates(outcomes); // exit 3, after the report is out
    return report;
  }
}
