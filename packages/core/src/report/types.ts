import type { Params } from '../params.js';

/** A metric value of one model, and how far it moved from the dense model's. */
export interface ValueCell {
  readonly value: number;
  readonly stderr?: number;
  readonly higherIsBetter: boolean;
  readonly delta?: Delta;
}

/** value - dense value; with per-item scores on both, a paired bootstrap interval of it. */
export interface Delta {
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
  /** confidence level of [low, high] */
  readonly level?: number;
  /** items scored by both models (the bootstrap's sample) */
  readonly items?: number;
  readonly resamples?: number;
}

export interface MetricCell {
  readonly metric: string;
  readonly dataset: { readonly ref: string; readonly digest: string; readonly limit?: number };
  readonly params: Params;
  readonly samples: number;
  readonly values: Record<string, ValueCell>;
  /** the eval result file the values come from */
  readonly result: string;
}

export interface ChainStep {
  readonly method: string;
  readonly params: Params;
  readonly bitsPerWeight?: number;
}

export interface ReportRow {
  /** short, unique within the report: 'dense', 'int4', 'prune sparsity=0.5' */
  readonly label: string;
  /** what the chart colours by: the method chain ('prune+int4'), 'dense', or 'other' for a model no compress result made */
  readonly series: string;
  readonly dense: boolean;
  /** sha256 of the dense model the chain starts from (the model itself for dense and other rows) */
  readonly source: string;
  readonly steps: readonly ChainStep[];
  readonly model: { readonly path: string; readonly sha256: string; readonly bytes: number };
  /** dense bytes / these bytes (external data included on both sides) */
  readonly sizeRatio?: number;
  readonly bitsPerWeight?: number;
  /** 8 x bytes on disk / float parameters of the dense source */
  readonly fileBitsPerParameter?: number;
  readonly metrics: Record<string, MetricCell>;
  /**
   * Flat numbers for --gate (names as gates.ts reads them): `<metric>.<value>`, `<metric>.<value>.delta`,
   * `<metric>.delta` (the metric's first value), and `size.bytes`, `size.ratio`, `size.bitsPerWeight`,
   * `size.fileBitsPerParameter`.
   */
  readonly figures: Record<string, number>;
  /** the result files behind the row: the chain's compress results, then its evals */
  readonly results: readonly string[];
}

export interface ReportMetric {
  readonly id: string;
  /** value names in the metric's own order; the first is the one deltas and charts use by default */
  readonly values: readonly string[];
  readonly higherIsBetter: Record<string, boolean>;
}

export interface Report {
  readonly rows: readonly ReportRow[];
  readonly metrics: readonly ReportMetric[];
  /** why a delta is missing, which results were superseded, ...: one line each */
  readonly notes: readonly string[];
  readonly bootstrap: { readonly resamples: number; readonly level: number; readonly seed: number };
}

export interface ReportOptions {
  /** bootstrap resamples (default 1000) */
  readonly resamples?: number;
  /** confidence level of the delta intervals (default 0.95) */
  readonly level?: number;
  readonly seed?: number;
}
