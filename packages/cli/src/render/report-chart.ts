/**
 * The size-against-quality chart of mc report: vega-lite (declarative, maintained, the grammar
 * Altair users know) compiled and rendered to SVG by vega in Node (no browser), and the SVG turned
 * into a PNG by resvg (a maintained Rust renderer with prebuilt binaries: no network, no canvas).
 * One series per method chain, the dense model as its own series, ± 1 stderr error bars, the
 * Pareto front ringed and joined by a dashed line. The libraries load on first use only, so that
 * `mc --help` does not pay for them.
 */
import { paretoFront, UserError, ErrorCodes, type Report } from '@mc-kit/core';

export type ChartX = 'size' | 'bits';

export interface ChartOptions {
  /** x axis: file size in MiB, or file bits per parameter */
  readonly x: ChartX;
  /** y axis: `<metric>` (its first value) or `<metric>.<value>`; default the first metric's first value */
  readonly metric?: string;
}

export interface ChartPoint {
  readonly label: string;
  readonly series: string;
  readonly x: number;
  readonly y: number;
  readonly low?: number;
  readonly high?: number;
  readonly pareto: boolean;
}

/** The name of the vega mark group holding one symbol per point (the chromium test counts them). */
export const POINT_MARKS = 'points_marks';

/** The points of the chart: every row with the chosen figure and the x value; which are on the Pareto front. */
export function chartPoints(
  report: Report,
  options: ChartOptions,
): { points: ChartPoint[]; yName: string; higherIsBetter: boolean } {
  const { metric, value } = chosenValue(report, options.metric);
  const raw = report.rows.flatMap((r) => {
    const v = r.metrics[metric]?.values[value];
    const x = options.x === 'size' ? r.model.bytes / 1024 ** 2 : r.fileBitsPerParameter;
    if (!v || x === undefined || !Number.isFinite(v.value)) return [];
    return [
      {
        label: r.label,
        series: r.series,
        x,
        y: v.value,
        ...(v.stderr !== undefined ? { low: v.value - v.stderr, high: v.value + v.stderr } : {}),
      },
    ];
  });
  const higherIsBetter = report.metrics.find((m) => m.id === metric)?.higherIsBetter[value] ?? true;
  const front = paretoFront(raw, higherIsBetter);
  return { points: raw.map((p, i) => ({ ...p, pareto: front[i] })), yName: `${metric}.${value}`, higherIsBetter };
}

function chosenValue(report: Report, wanted: string | undefined): { metric: string; value: string } {
  if (report.metrics.length === 0)
    throw new UserError(ErrorCodes.NO_RESULTS, 'no eval results to chart: the chart plots quality against size', {
      hint: 'evaluate the models (mc eval, or mc sweep) and report again',
    });
  if (!wanted) return { metric: report.metrics[0].id, value: report.metrics[0].values[0] };
  const dot = wanted.indexOf('.');
  const id = dot < 0 ? wanted : wanted.slice(0, dot);
  const m = report.metrics.find((x) => x.id === id);
  const value = dot < 0 ? m?.values[0] : wanted.slice(dot + 1);
  if (!m || !value || !m.values.includes(value)) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--chart-metric ${wanted}: the results have no such figure`, {
      hint: `one of ${report.metrics.flatMap((x) => x.values.map((v) => `${x.id}.${v}`)).join(', ')}`,
    });
  }
  return { metric: id, value };
}

export function chartSpec(report: Report, options: ChartOptions): Record<string, unknown> {
  const { points, yName, higherIsBetter } = chartPoints(report, options);
  if (points.length === 0)
    throw new UserError(
      ErrorCodes.NO_RESULTS,
      `no model has both ${yName} and a ${options.x === 'size' ? 'size' : 'file bits per parameter'}: nothing to chart`,
    );
  const xTitle = options.x === 'size' ? 'file size (MiB)' : 'file bits per parameter';
  const x = { field: 'x', type: 'quantitative', title: xTitle };
  const y = {
    field: 'y',
    type: 'quantitative',
    title: `${yName} (${higherIsBetter ? 'higher' : 'lower'} is better)`,
    scale: { zero: false },
  };
  const color = { field: 'series', type: 'nominal', title: 'method' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${yName} against ${xTitle}`, subtitle: 'bars: ± 1 stderr · ringed, dashed: Pareto front' },
    width: 560,
    height: 360,
    background: 'white',
    config: { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif' },
    data: { values: points },
    layer: [
      {
        name: 'errorbars',
        transform: [{ filter: 'isValid(datum.low)' }],
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' }, color },
      },
      {
        name: 'front',
        transform: [{ filter: 'datum.pareto' }],
        mark: { type: 'line', strokeDash: [5, 4], color: '#666' },
        encoding: { x, y, order: { field: 'x' } },
      },
      {
        name: 'points',
        mark: { type: 'point', filled: true, size: 90, opacity: 1 },
        encoding: {
          x,
          y,
          color,
          tooltip: [{ field: 'label' }, { field: 'x', title: xTitle }, { field: 'y', title: yName }],
        },
      },
      {
        name: 'pareto',
        transform: [{ filter: 'datum.pareto' }],
        mark: { type: 'point', size: 260, strokeWidth: 1.5, color: '#222' },
        encoding: { x, y },
      },
    ],
  };
}

export async function renderChartSvg(report: Report, options: ChartOptions): Promise<string> {
  // one after the other: jest's ESM loader fails on two concurrent imports that share modules (vega-lite imports vega's parts)
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const compiled = vl.compile(chartSpec(report, options) as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  // twice the SVG's size: crisp in a note or a slide
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: 'white',
  })
    .render()
    .asPng();
  return new Uint8Array(png);
}
