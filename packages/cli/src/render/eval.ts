import type { EvalResult } from '@mc-kit/core';
import { formatNumber, table } from './table.js';

export function renderEval(r: EvalResult, resultPath?: string): string {
  const rows = Object.entries(r.metric.values).map(([name, v]) => [
    name,
    formatNumber(v.value),
    v.stderr !== undefined ? `± ${formatNumber(v.stderr)}` : '',
    v.higherIsBetter ? 'higher is better' : 'lower is better',
  ]);
  const lines = [
    `${r.metric.metric} on ${r.dataset.ref} (${r.dataset.provider}, ${r.dataset.size} samples) for ${r.model.ref}`,
    table(['value', r.metric.metric, 'stderr', ''], rows, { align: ['left', 'right', 'right', 'left'] }),
    `${r.timings.evaluateS.toFixed(2)}s, ${formatNumber(r.timings.samplesPerS, 1)} samples/s`,
  ];
  if (resultPath) lines.push(`result: ${resultPath}`);
  return lines.join('\n');
}
