/**
 * The HTML page of mc report: one self-contained file (no script, no CDN, no external font) with
 * the chart as inline SVG, the table, the notes and where each row came from.
 */
import type { Report } from '@mc-kit/core';
import { deltaText, identityCells, valueText } from './report-table.js';

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export function reportHtml(report: Report, options: { title?: string; chartSvg?: string } = {}): string {
  const title = options.title ?? 'mc report';
  const valueCols = report.metrics.flatMap((m) =>
    m.values.map((v) => ({ metric: m.id, value: v, primary: v === m.values[0] })),
  );
  const level = Math.round(report.bootstrap.level * 100);
  const head = [
    'model',
    'method chain and parameters',
    'size',
    'ratio',
    'bits/weight',
    'file bits/param',
    ...valueCols.flatMap((c) => [`${c.metric}.${c.value}`, ...(c.primary ? [`Δ vs dense [${level}% CI]`] : [])]),
  ];
  const body = report.rows.map((r) => {
    const cells = [
      ...identityCells(r),
      ...valueCols.flatMap((c) => {
        const v = r.metrics[c.metric]?.values[c.value];
        return [valueText(v), ...(c.primary ? [deltaText(v?.delta)] : [])];
      }),
    ];
    return `<tr${r.dense ? ' class="dense"' : ''} title="${esc(r.model.path)}">${cells.map((c, i) => `<td${i >= 2 ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px}th,td{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.dense{font-weight:bold;background:#f4f4f4}
.chart svg{max-width:100%;height:auto}.notes{color:#666;font-size:12px}
</style></head><body>
<h1>${esc(title)}</h1>
${options.chartSvg ? `<div class="chart">${options.chartSvg}</div>` : ''}
<table id="report"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${body.join('\n')}
</tbody></table>
<p class="notes">Values ± standard error. Δ: value − dense value; the interval is a paired bootstrap over per-item scores (${report.bootstrap.resamples} resamples, seed ${report.bootstrap.seed}) where both results kept them.</p>
${report.notes.length ? `<ul class="notes">${report.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
