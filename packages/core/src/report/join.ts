/**
 * Join compress and eval results into one row per model (habit: sha256 is the only link).
 * A compress result's output is a model; following `model.sha256` back through other compress
 * results' outputs gives its whole chain and the dense source it started from. A dense row holds
 * the evals of a chain's source. Each metric value gets a delta against the dense row's value of the
 * same metric on the same data and parameters, with a paired bootstrap interval when both evals
 * kept per-item scores (`details.items`: [{id, score}] as the kick-* tasks keep them, or `details.itemScores`
 * in dataset order as accuracy keeps them).
 */
import { basename, dirname } from 'node:path';
import type { CompressResult, EvalResult } from '../results.js';
import { createRng } from '../rng.js';
import { pairedBootstrap } from '../stats/paired-bootstrap.js';
import type { ReadResult } from './read.js';
import type {
  ChainStep,
  Delta,
  MetricCell,
  Report,
  ReportMetric,
  ReportOptions,
  ReportRow,
  ValueCell,
} from './types.js';

interface Loaded<T> {
  readonly path: string;
  readonly result: T;
}

export function buildReport(inputs: readonly ReadResult[], options: ReportOptions = {}): Report {
  const bootstrap = { resamples: options.resamples ?? 1000, level: options.level ?? 0.95, seed: options.seed ?? 0 };
  const notes: string[] = [];
  const compressByOutput = latestBy(
    inputs.filter((r): r is Loaded<CompressResult> => r.result.kind === 'compress'),
    (r) => r.result.output.sha256,
    (old, kept) =>
      notes.push(
        `${basename(old.path)} made the same model as ${basename(kept.path)} (same sha256): the newer one is used`,
      ),
  );
  const evals = inputs.filter((r): r is Loaded<EvalResult> => r.result.kind === 'eval');
  // per model, per metric: the newest eval
  const evalsByModel = new Map<string, Map<string, Loaded<EvalResult>>>();
  for (const e of [...evals].sort((a, b) => a.result.createdAt.localeCompare(b.result.createdAt))) {
    const perModel = evalsByModel.get(e.result.model.sha256) ?? new Map<string, Loaded<EvalResult>>();
    const previous = perModel.get(e.result.metric.metric);
    // a repeat with the same figures (each sweep evaluates its dense model again) is not worth a line
    if (previous && stableJson(previous.result.metric.values) !== stableJson(e.result.metric.values)) {
      notes.push(
        `${basename(previous.path)} and ${basename(e.path)} measure ${e.result.metric.metric} on the same model with different figures: the newer is used`,
      );
    }
    perModel.set(e.result.metric.metric, e);
    evalsByModel.set(e.result.model.sha256, perModel);
  }

  const rows: Draft[] = [];
  const sources = new Map<string, { path: string; bytes: number; parameters?: number }>();
  for (const c of compressByOutput.values()) {
    const chain = chainOf(c, compressByOutput);
    const root = chain[0].result;
    sources.set(root.model.sha256, { path: root.model.path, bytes: root.model.bytes, parameters: root.parameters });
    const steps: ChainStep[] = chain.flatMap((l) =>
      l.result.steps.map((s) => ({
        method: s.method,
        params: s.params,
        ...(s.bitsPerWeight !== undefined ? { bitsPerWeight: s.bitsPerWeight } : {}),
      })),
    );
    const bitsPerWeight = [...chain].reverse().find((l) => l.result.bitsPerWeight !== undefined)?.result.bitsPerWeight;
    rows.push({
      series: steps.map((s) => s.method).join('+'),
      dense: false,
      source: root.model.sha256,
      steps,
      model: { path: c.result.output.path, sha256: c.result.output.sha256, bytes: c.result.output.bytes },
      sizeRatio: root.model.bytes / c.result.output.bytes,
      bitsPerWeight,
      fileBitsPerParameter: root.parameters > 0 ? (8 * c.result.output.bytes) / root.parameters : undefined,
      compressResults: chain.map((l) => l.path),
    });
  }
  for (const [sha, s] of sources) {
    rows.push({
      series: 'dense',
      dense: true,
      source: sha,
      steps: [],
      model: { path: s.path, sha256: sha, bytes: s.bytes },
      sizeRatio: 1,
      fileBitsPerParameter: s.parameters ? (8 * s.bytes) / s.parameters : undefined,
      compressResults: [],
    });
  }
  // evaluated models no compress result made or started from (compressed elsewhere, or their results not given)
  const known = new Set(rows.map((r) => r.model.sha256));
  for (const [sha, perModel] of evalsByModel) {
    if (known.has(sha)) continue;
    const e = [...perModel.values()][0].result;
    rows.push({
      series: 'other',
      dense: false,
      source: sha,
      steps: [],
      model: { path: e.model.path, sha256: sha, bytes: e.model.bytes },
      compressResults: [],
    });
  }

  const metrics = collectMetrics(evals.map((e) => e.result));
  const denseCells = new Map<string, Record<string, MetricCell>>();
  const cellsOf = (r: Draft) => metricCells(evalsByModel.get(r.model.sha256));
  for (const r of rows) if (r.dense) denseCells.set(r.source, cellsOf(r));
  const built = rows.map((r): ReportRow => {
    const own = cellsOf(r);
    const dense = r.dense || r.series === 'other' ? undefined : denseCells.get(r.source);
    const metricsOut: Record<string, MetricCell> = {};
    for (const [id, cell] of Object.entries(own)) {
      const base = dense?.[id];
      // a metric measured against a --baseline (kld, latency ratios) is already a comparison: no dense value is missed
      const againstBaseline =
        (evalsOf(evalsByModel, r.model.sha256, id) as { baseline?: unknown } | undefined)?.baseline !== undefined;
      if (dense && !base && !againstBaseline)
        notes.push(`${r.model.path}: no ${id} result for its dense model, so no delta`);
      else if (base && !sameSetting(cell, base))
        notes.push(
          `${r.model.path}: ${id} was measured on other data or parameters than its dense model's, so no delta`,
        );
      metricsOut[id] =
        base && sameSetting(cell, base)
          ? withDeltas(
              cell,
              base,
              evalsOf(evalsByModel, r.model.sha256, id),
              evalsOf(evalsByModel, r.source, id),
              bootstrap,
            )
          : cell;
    }
    const { compressResults, ...rest } = r;
    return {
      ...rest,
      label: r.series,
      metrics: metricsOut,
      figures: figuresOf(r, metricsOut, metrics),
      results: [...compressResults, ...Object.values(metricsOut).map((m) => m.result)],
    };
  });
  return { rows: labelled(sortRows(built)), metrics, notes, bootstrap };
}

type Draft = Omit<ReportRow, 'label' | 'metrics' | 'figures' | 'results'> & { compressResults: string[] };

function latestBy<T extends { result: { createdAt: string } }>(
  items: readonly T[],
  key: (t: T) => string,
  onSuperseded: (old: T, kept: T) => void,
): Map<string, T> {
  const out = new Map<string, T>();
  for (const t of [...items].sort((a, b) => a.result.createdAt.localeCompare(b.result.createdAt))) {
    const old = out.get(key(t));
    if (old) onSuperseded(old, t);
    out.set(key(t), t);
  }
  return out;
}

/** The compress results from the dense source to `c`, oldest first (a cycle, which sha256 makes impossible unless files were edited, stops the walk). */
function chainOf(c: Loaded<CompressResult>, byOutput: Map<string, Loaded<CompressResult>>): Loaded<CompressResult>[] {
  const chain = [c];
  const seen = new Set([c.result.output.sha256]);
  for (
    let prev = byOutput.get(c.result.model.sha256);
    prev && !seen.has(prev.result.output.sha256);
    prev = byOutput.get(prev.result.model.sha256)
  ) {
    seen.add(prev.result.output.sha256);
    chain.unshift(prev);
  }
  return chain;
}

function evalsOf(
  byModel: Map<string, Map<string, Loaded<EvalResult>>>,
  sha: string,
  metric: string,
): EvalResult | undefined {
  return byModel.get(sha)?.get(metric)?.result;
}

function metricCells(perModel: Map<string, Loaded<EvalResult>> | undefined): Record<string, MetricCell> {
  const out: Record<string, MetricCell> = {};
  for (const [id, { path, result: e }] of perModel ?? []) {
    const values: Record<string, ValueCell> = {};
    for (const [name, v] of Object.entries(e.metric.values)) {
      values[name] = {
        value: v.value,
        ...(v.stderr !== undefined ? { stderr: v.stderr } : {}),
        higherIsBetter: v.higherIsBetter,
      };
    }
    out[id] = {
      metric: id,
      dataset: {
        ref: e.dataset.ref,
        digest: e.dataset.digest,
        ...(e.dataset.limit !== undefined ? { limit: e.dataset.limit } : {}),
      },
      params: e.metric.params,
      samples: e.metric.samples,
      values,
      result: path,
    };
  }
  return out;
}

/** A delta means something only between evals of the same data (digest and limit) and the same metric parameters. */
function sameSetting(a: MetricCell, b: MetricCell): boolean {
  return (
    a.dataset.digest === b.dataset.digest &&
    a.dataset.limit === b.dataset.limit &&
    stableJson(a.params) === stableJson(b.params)
  );
}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

function withDeltas(
  cell: MetricCell,
  base: MetricCell,
  own: EvalResult | undefined,
  dense: EvalResult | undefined,
  boot: Report['bootstrap'],
): MetricCell {
  const [primary] = Object.keys(cell.values);
  const paired = own && dense ? pairItems(own, dense) : undefined;
  const values: Record<string, ValueCell> = {};
  for (const [name, v] of Object.entries(cell.values)) {
    const b = base.values[name];
    if (!b) {
      values[name] = v;
      continue;
    }
    let delta: Delta = { value: v.value - b.value };
    if (name === primary && paired && paired.a.length > 0) {
      const r = pairedBootstrap(paired.a, paired.b, createRng(boot.seed), boot.resamples, boot.level);
      delta = { ...delta, low: r.low, high: r.high, level: r.level, items: r.items, resamples: r.resamples };
    }
    values[name] = { ...v, delta };
  }
  return { ...cell, values };
}

/** Per-item scores of both evals, paired by item id (items only one side scored are left out). */
function pairItems(own: EvalResult, dense: EvalResult): { a: number[]; b: number[] } | undefined {
  const a = itemScores(own);
  const b = itemScores(dense);
  if (!a || !b) return undefined;
  const out = { a: [] as number[], b: [] as number[] };
  for (const [id, score] of a) {
    const other = b.get(id);
    if (other !== undefined) {
      out.a.push(score);
      out.b.push(other);
    }
  }
  return out;
}

/** `details.items` ([{id, score}], the kick-* tasks) or `details.itemScores` (score per sample in dataset order, id = index: accuracy). */
function itemScores(e: EvalResult): Map<string, number> | undefined {
  const scores = e.metric.details?.itemScores;
  if (Array.isArray(scores) && scores.length > 0 && scores.every((s) => typeof s === 'number'))
    return new Map(scores.map((s: number, i) => [String(i), s]));
  const items = e.metric.details?.items;
  if (!Array.isArray(items)) return undefined;
  const out = new Map<string, number>();
  for (const it of items as { id?: unknown; score?: unknown }[]) {
    if (it && (typeof it.id === 'string' || typeof it.id === 'number') && typeof it.score === 'number')
      out.set(String(it.id), it.score);
  }
  return out.size > 0 ? out : undefined;
}

function collectMetrics(evals: readonly EvalResult[]): ReportMetric[] {
  const out = new Map<string, { values: string[]; higherIsBetter: Record<string, boolean> }>();
  for (const e of evals) {
    const m = out.get(e.metric.metric) ?? { values: [], higherIsBetter: {} };
    for (const [name, v] of Object.entries(e.metric.values)) {
      if (!m.values.includes(name)) m.values.push(name);
      m.higherIsBetter[name] = v.higherIsBetter;
    }
    out.set(e.metric.metric, m);
  }
  return [...out].map(([id, m]) => ({ id, ...m }));
}

function figuresOf(
  r: Draft,
  cells: Record<string, MetricCell>,
  metrics: readonly ReportMetric[],
): Record<string, number> {
  const f: Record<string, number> = {};
  const put = (name: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) f[name] = v;
  };
  put('size.bytes', r.model.bytes);
  put('size.ratio', r.sizeRatio);
  put('size.bitsPerWeight', r.bitsPerWeight);
  put('size.fileBitsPerParameter', r.fileBitsPerParameter);
  for (const [id, cell] of Object.entries(cells)) {
    const primary = metrics.find((m) => m.id === id)?.values[0];
    for (const [name, v] of Object.entries(cell.values)) {
      put(`${id}.${name}`, v.value);
      put(`${id}.${name}.delta`, v.delta?.value);
      if (name === primary) put(`${id}.delta`, v.delta?.value);
    }
  }
  return f;
}

/** Source by source: dense first, then each method chain (in the order first met), largest model first. */
function sortRows(rows: ReportRow[]): ReportRow[] {
  const sourceOrder = [...new Set(rows.map((r) => r.source))];
  const seriesOrder = [...new Set(rows.map((r) => r.series))];
  const rank = (r: ReportRow) => (r.dense ? 0 : r.series === 'other' ? 2 : 1);
  return [...rows].sort(
    (a, b) =>
      sourceOrder.indexOf(a.source) - sourceOrder.indexOf(b.source) ||
      rank(a) - rank(b) ||
      seriesOrder.indexOf(a.series) - seriesOrder.indexOf(b.series) ||
      b.model.bytes - a.model.bytes,
  );
}

/**
 * A row's label is its method chain plus the parameters that tell it apart from the other rows of
 * that chain ('prune sparsity=0.5'); a dense row is 'dense' (with its file name when several
 * sources are reported), another model its folder or file name.
 */
function labelled(rows: ReportRow[]): ReportRow[] {
  const multipleSources = rows.filter((r) => r.dense).length > 1;
  const bySeries = new Map<string, ReportRow[]>();
  for (const r of rows) bySeries.set(r.series, [...(bySeries.get(r.series) ?? []), r]);
  const used = new Map<string, number>();
  return rows.map((r) => {
    let label: string;
    if (r.dense) label = multipleSources ? `dense ${modelName(r.model.path)}` : 'dense';
    else if (r.series === 'other') label = modelName(r.model.path);
    else {
      const varying = varyingParams(bySeries.get(r.series) ?? [r]);
      const multi = r.steps.length > 1;
      const parts = r.steps.flatMap((s, i) =>
        varying
          .filter((v) => v.step === i)
          .map((v) => `${multi ? `${s.method}.` : ''}${v.name}=${format(s.params[v.name])}`),
      );
      label = [r.series, parts.join(',')].filter(Boolean).join(' ');
    }
    const n = used.get(label) ?? 0;
    used.set(label, n + 1);
    return { ...r, label: n === 0 ? label : `${label} #${n + 1}` };
  });
}

function varyingParams(rows: readonly ReportRow[]): { step: number; name: string }[] {
  const out: { step: number; name: string }[] = [];
  const steps = Math.max(...rows.map((r) => r.steps.length));
  for (let i = 0; i < steps; i++) {
    const names = new Set(rows.flatMap((r) => Object.keys(r.steps[i]?.params ?? {})));
    for (const name of names) {
      if (new Set(rows.map((r) => stableJson(r.steps[i]?.params[name]))).size > 1) out.push({ step: i, name });
    }
  }
  return out;
}

function format(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** `out/03-sparsity-0.5/model.onnx` -> `03-sparsity-0.5`; `int8.onnx` -> `int8.onnx` */
function modelName(path: string): string {
  const file = basename(path);
  return file === 'model.onnx' ? basename(dirname(path)) : file;
}
