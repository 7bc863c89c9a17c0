/**
 * mc report as text: a terminal table, a Markdown table (paste-ready, as lm-evaluation-harness
 * prints), and CSV (csv-stringify: quoting and escaping done by a maintained library) with one
 * column per number so a spreadsheet or pandas gets every figure unformatted.
 */
import type { Delta, Report, ReportRow, ValueCell } from '@mc-kit/core';
import { stringify } from 'csv-stringify/sync';
import { formatBytes, formatNumber, formatStderr, table } from './table.js';

/** The human columns: identity and size, then every metric value (± stderr) and the delta of each metric's first value. */
function humanColumns(report: Report): { head: string[]; cells: (r: ReportRow) => string[] } {
  const valueCols = report.metrics.flatMap((m) => m.values.map((v) => ({ metric: m.id, value: v })));
  const deltaCols = report.metrics
    .filter((m) => report.rows.some((r) => r.metrics[m.id]?.values[m.values[0]]?.delta))
    .map((m) => ({ metric: m.id, value: m.values[0] }));
  const level = report.bootstrap.level;
  return {
    head: [
      'model',
      'params',
      'size',
      'ratio',
      'bits/weight',
      'file bits/param',
      ...valueCols.map((c) => `${c.metric}.${c.value}`),
      ...deltaCols.map((c) => `Δ ${c.metric}.${c.value} [${Math.round(level * 100)}% CI]`),
    ],
    cells: (r) => [
      ...identityCells(r),
      ...valueCols.map((c) => valueText(r.metrics[c.metric]?.values[c.value])),
      ...deltaCols.map((c) => deltaText(r.metrics[c.metric]?.values[c.value]?.delta)),
    ],
  };
}

/** A row's first six cells, in the terminal, Markdown and HTML tables alike: model, params, size, ratio, bits/weight, file bits/param. */
export function identityCells(r: ReportRow): string[] {
  return [
    r.label,
    paramsText(r),
    formatBytes(r.model.bytes),
    r.sizeRatio === undefined ? '-' : `${r.sizeRatio.toFixed(2)}x`,
    formatNumber(r.bitsPerWeight, 3),
    formatNumber(r.fileBitsPerParameter, 3),
  ];
}

export function paramsText(r: ReportRow): string {
  if (r.steps.length === 0) return '';
  return r.steps
    .map(
      (s) =>
        `${s.method}(${Object.entries(s.params)
          .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
          .join(' ')})`,
    )
    .join(' + ');
}

export function valueText(v: ValueCell | undefined): string {
  if (!v) return '-';
  return [formatNumber(v.value), formatStderr(v.stderr)].filter(Boolean).join(' ');
}

export function deltaText(d: Delta | undefined): string {
  if (!d) return '-';
  const sign = (n: number) => `${n > 0 ? '+' : ''}${formatNumber(n)}`;
  return d.low === undefined || d.high === undefined
    ? sign(d.value)
    : `${sign(d.value)} [${sign(d.low)}, ${sign(d.high)}]`;
}

export function reportTable(report: Report): string {
  const { head, cells } = humanColumns(report);
  // the params column is long: the terminal table keeps the label only (md, csv and html carry it)
  const keep = head.map((_, i) => i !== 1);
  return table(
    head.filter((_, i) => keep[i]),
    report.rows.map((r) => cells(r).filter((_, i) => keep[i])),
  );
}

export function reportMarkdown(report: Report): string {
  const { head, cells } = humanColumns(report);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const line = (xs: string[]) => `| ${xs.map(esc).join(' | ')} |`;
  return [
    line(head),
    `|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...report.rows.map((r) => line(cells(r))),
  ].join('\n');
}

/** Every figure in its own column, unformatted. */
export function reportCsv(report: Report): string {
  const valueCols = report.metrics.flatMap((m) => m.values.map((v) => ({ metric: m.id, value: v })));
  const head = [
    'label',
    'series',
    'dense',
    'steps',
    'model',
    'sha256',
    'bytes',
    'size_ratio',
    'bits_per_weight',
    'file_bits_per_parameter',
  ];
  for (const c of valueCols) {
    const n = `${c.metric}.${c.value}`;
    head.push(n, `${n}.stderr`, `${n}.delta`, `${n}.delta.low`, `${n}.delta.high`);
  }
  const rows = report.rows.map((r) => [
    r.label,
    r.series,
    r.dense,
    paramsText(r),
    r.model.path,
    r.model.sha256,
    r.model.bytes,
    r.sizeRatio,
    r.bitsPerWeight,
    r.fileBitsPerParameter,
    ...valueCols.flatMap((c) => {
      const v = r.metrics[c.metric]?.values[c.value];
      return [v?.value, v?.stderr, v?.delta?.value, v?.delta?.low, v?.delta?.high];
    }),
  ]);
  return stringify([head, ...rows], { cast: { boolean: (b) => String(b) } });
}
