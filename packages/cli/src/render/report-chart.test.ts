import type { Report, ReportRow } from '@mc-kit/core';
import { chartPoints, renderChartSvg, svgToPng } from './report-chart.js';

function row(label: string, series: string, bytes: number, top1: number, stderr?: number, bits?: number): ReportRow {
  return {
    label,
    series,
    dense: series === 'dense',
    source: 'a',
    steps: [],
    model: { path: `/m/${label}`, sha256: label, bytes },
    fileBitsPerParameter: bits,
    metrics: {
      accuracy: {
        metric: 'accuracy',
        dataset: { ref: 'd', digest: 'd' },
        params: {},
        samples: 10,
        result: 'r',
        values: { top1: { value: top1, higherIsBetter: true, ...(stderr !== undefined ? { stderr } : {}) } },
      },
    },
    figures: {},
    results: [],
  };
}

const MiB = 1024 ** 2;
const report: Report = {
  rows: [
    row('dense', 'dense', 4 * MiB, 0.99, 0.01, 32),
    row('int8', 'int8', MiB, 0.98, 0.01, 8),
    row('int4', 'int4', MiB / 2, 0.9, undefined, 4),
    row('prune', 'prune', 4 * MiB, 0.5, 0.02),
  ],
  metrics: [{ id: 'accuracy', values: ['top1'], higherIsBetter: { top1: true } }],
  notes: [],
  bootstrap: { resamples: 1000, level: 0.95, seed: 0 },
};

/** The <path> children of the vega mark group with this class. */
function marksIn(svg: string, group: string): number {
  const m = new RegExp(`class="[^"]*\\b${group}"[^>]*>(.*?)</g>`).exec(svg);
  return m ? (m[1].match(/<(path|line)\b/g) ?? []).length : 0;
}

describe('the report chart (vega-lite + vega in Node, resvg for PNG)', () => {
  it('plots one symbol per model, an error bar per model with a stderr, and rings the Pareto front (hand-checked)', async () => {
    const { points } = chartPoints(report, { x: 'size' });
    // int4 (smallest), int8 (better than int4, smaller than dense), dense (best): the front; prune is beaten by dense at the same size
    expect(points.map((p) => [p.label, p.x, p.pareto])).toEqual([
      ['dense', 4, true],
      ['int8', 1, true],
      ['int4', 0.5, true],
      ['prune', 4, false],
    ]);
    expect(points[0]).toMatchObject({ low: 0.98, high: 1 });
    const svg = await renderChartSvg(report, { x: 'size' });
    expect(marksIn(svg, 'points_marks')).toBe(4);
    expect(marksIn(svg, 'errorbars_marks')).toBe(3);
    expect(marksIn(svg, 'pareto_marks')).toBe(3);
    const png = await svgToPng(svg);
    expect([...png.slice(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
  });

  it('on file bits per parameter, leaves out a model without that figure; a figure the results lack is one clear error', async () => {
    expect(chartPoints(report, { x: 'bits' }).points.map((p) => p.label)).toEqual(['dense', 'int8', 'int4']);
    expect(() => chartPoints(report, { x: 'size', metric: 'bpc' })).toThrow(
      /--chart-metric bpc: the results have no such figure/,
    );
    expect(chartPoints(report, { x: 'size', metric: 'accuracy.top1' }).yName).toBe('accuracy.top1');
  });
});
