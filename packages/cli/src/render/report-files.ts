/**
 * Turning a Report into what a user asked for: one format as text, chart files (.svg and .png), and
 * the sweep's summary trio. Every target folder is checked first and each file is written whole
 * (temp file + rename), so an error leaves no half-written file.
 */
import { dirname, resolve } from 'node:path';
import { assertWritableDir, writeFileAtomic, type Report } from '@mc-kit/core';
import { renderChartSvg, svgToPng, type ChartOptions } from './report-chart.js';
import { reportHtml } from './report-html.js';
import { reportCsv, reportMarkdown, reportTable } from './report-table.js';

export type ReportFormat = 'table' | 'md' | 'csv' | 'json' | 'html';
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'md', 'csv', 'json', 'html'];

/** The report as text; html embeds the chart when the results have a quality figure to plot. */
export async function renderReport(
  report: Report,
  format: ReportFormat,
  chart: ChartOptions,
  title?: string,
): Promise<string> {
  switch (format) {
    case 'table':
      return reportTable(report);
    case 'md':
      return reportMarkdown(report);
    case 'csv':
      return reportCsv(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}`;
    case 'html':
      return reportHtml(report, {
        title,
        chartSvg: report.metrics.length > 0 ? await renderChartSvg(report, chart) : undefined,
      });
  }
}

/** Check that every file's folder exists and is writable before anything is written. */
export async function checkTargets(paths: readonly string[]): Promise<void> {
  for (const p of paths) await assertWritableDir(dirname(resolve(p)), p);
}

/** `<prefix>.svg` and `<prefix>.png`; returns their paths. */
export async function writeChart(report: Report, prefix: string, chart: ChartOptions): Promise<string[]> {
  const base = prefix.replace(/\.(svg|png)$/i, '');
  const svg = await renderChartSvg(report, chart);
  const png = await svgToPng(svg);
  const paths = [resolve(`${base}.svg`), resolve(`${base}.png`)];
  await writeFileAtomic(paths[0], svg);
  await writeFileAtomic(paths[1], png);
  return paths;
}

/** What mc sweep leaves in --out: summary.json (the Report), summary.csv and report.html (chart + table). */
export async function writeSweepSummary(
  report: Report,
  dir: string,
  chart: ChartOptions,
  title: string,
): Promise<string[]> {
  const files: [string, string][] = [
    [resolve(dir, 'summary.json'), `${JSON.stringify(report, null, 2)}\n`],
    [resolve(dir, 'summary.csv'), reportCsv(report)],
    [resolve(dir, 'report.html'), await renderReport(report, 'html', chart, title)],
  ];
  for (const [path, text] of files) await writeFileAtomic(path, text);
  return files.map(([p]) => p);
}
