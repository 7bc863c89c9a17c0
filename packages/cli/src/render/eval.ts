import type { EvalResult, MetricValue } from '@mc-kit/core';
import { formatNumber, formatStderr, table } from './table.js';

/** One table for every metric of a run: a row per value, with the baseline and the delta where eval measured them. */
export function renderEval(results: readonly EvalResult[], resultPaths: readonly string[] = []): string {
  const withBaseline = results.some((r) => r.metric.baselineValues);
  const rows = results.flatMap((r) =>
    Object.entries(r.metric.values).map(([name, v]) => {
      const row = [
        results.length > 1 ? `${r.metric.metric}.${name}` : name,
        formatNumber(v.value),
        formatStderr(v.stderr),
      ];
      if (withBaseline) row.push(...baselineCells(v, r.metric.baselineValues?.[name]));
      row.push(v.higherIsBetter ? 'higher is better' : 'lower is better');
      return row;
    }),
  );
  const head = [
    'value',
    results.length > 1 ? 'result' : results[0].metric.metric,
    'stderr',
    ...(withBaseline ? ['baseline', 'delta'] : []),
    '',
  ];
  const first = results[0];
  const metrics = results.map((r) => r.metric.metric).join(', ');
  const on =
    first.dataset.size > 0 ? ` on ${first.dataset.ref} (${first.dataset.provider}, ${first.dataset.size} samples)` : '';
  const lines = [
    `${metrics}${on} for ${first.model.ref}${first.baseline ? ` (baseline ${first.baseline.ref ?? first.baseline.path})` : ''}`,
    table(head, rows, { align: head.map((_, i) => (i === 0 || i === head.length - 1 ? 'left' : 'right')) }),
    results
      .map(
        (r) =>
          `${results.length > 1 ? `${r.metric.metric}: ` : ''}${r.timings.evaluateS.toFixed(2)}s, ${formatNumber(r.timings.samplesPerS, 1)} samples/s`,
      )
      .join('; '),
  ];
  for (const p of resultPaths) lines.push(`result: ${p}`);
  return lines.join('\n');
}

function baselineCells(v: MetricValue, base: MetricValue | undefined): string[] {
  if (!base) return ['', ''];
  const d = v.value - base.value;
  return [formatNumber(base.value), `${d >= 0 ? '+' : ''}${formatNumber(d)}`];
}
