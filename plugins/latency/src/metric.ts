/**
 * latency: how long a model takes to start and to run, and how much memory it holds, on inputs
 * shaped from its graph (or drawn from --dataset), over --runs timed runs after --warmup untimed ones.
 * Each model (and --baseline's, for ratios) is measured in a child process of its own (measure.ts):
 * its peak RSS is that process's, which includes node and onnxruntime's library (reported apart as
 * base_rss_mib, measured before the session), never the parent's dataset or another session.
 */
import {
  ErrorCodes,
  UserError,
  type LoadedModel,
  type Metric,
  type MetricInputs,
  type MetricResult,
  type MetricValue,
  typedParams,
  type ParamSpec,
  type Params,
  type RunContext,
} from '@mc-kit/core';
import { LATENCY_KINDS, latencyFeeds, type LatencyData } from './feeds.js';
import { measure } from './measure.js';
import type { Measurement } from './protocol.js';
import { summarize } from './stats.js';

export const LATENCY_PARAMS = Object.freeze([
  {
    name: 'runs',
    type: 'integer',
    description: 'timed runs (p50 and p90 are over these)',
    default: 20,
    min: 1,
    max: 100_000,
  },
  {
    name: 'warmup',
    type: 'integer',
    description: 'untimed runs first (onnxruntime allocates and tunes on the first ones)',
    default: 3,
    min: 0,
    max: 10_000,
  },
  { name: 'batch-size', type: 'integer', description: 'the leading dim of every input', default: 1, min: 1, max: 4096 },
  {
    name: 'seq-len',
    type: 'integer',
    description: 'every other symbolic dim (tokens of a language model, sides of a dynamic image)',
    default: 128,
    min: 1,
    max: 1_000_000,
  },
  {
    name: 'threads',
    type: 'integer',
    description: 'onnxruntime intra-op threads (0: its default, all cores)',
    default: 0,
    min: 0,
    max: 1024,
  },
] as const satisfies readonly ParamSpec[]);
const latencyParams = typedParams(LATENCY_PARAMS);

const MiB = 1024 * 1024;

export class LatencyMetric implements Metric<(typeof LATENCY_KINDS)[number]> {
  readonly id = 'latency';
  readonly summary =
    'session start, p50/p90 run time and peak RSS, each model in a child process; ratios to --baseline';
  readonly datasetKinds = LATENCY_KINDS;
  readonly params = LATENCY_PARAMS;
  readonly baseline = 'optional' as const;

  async evaluate(
    model: LoadedModel,
    data: LatencyData,
    params: Params,
    ctx: RunContext,
    inputs?: MetricInputs,
  ): Promise<MetricResult> {
    const p = latencyParams(params);
    const { feeds, description } = await latencyFeeds(model, data, p['batch-size'], p['seq-len'], ctx);
    const threads = p.threads;
    const options = {
      runs: p.runs,
      warmup: p.warmup,
      threads: threads > 0 ? threads : undefined,
    };
    const base = inputs?.baseline;
    const task = ctx.progress.start('latency', base ? 2 : 1);
    const m = await measure(model.path, model.ref, feeds, options, ctx);
    task.tick();
    // the baseline on the very same feeds; a model whose inputs differ from it fails there, by name
    const b = base && (await measure(base.path, base.ref, feeds, options, ctx));
    task.done(
      `latency: p50 ${summarize(m.runsMs).p50.toFixed(2)} ms${b ? ` (baseline ${summarize(b.runsMs).p50.toFixed(2)} ms)` : ''}`,
    );
    const values: Record<string, MetricValue> = { ...figures(m) };
    if (b) {
      const [x, y] = [figures(m), figures(b)];
      for (const [ratio, k] of [
        ['p50_ratio', 'p50_ms'],
        ['p90_ratio', 'p90_ms'],
        ['start_ratio', 'start_ms'],
        ['peak_rss_ratio', 'peak_rss_mib'],
      ] as const) {
        values[ratio] = { value: x[k].value / y[k].value, higherIsBetter: false };
      }
    }
    if (!Number.isFinite(values.p50_ms.value))
      throw new UserError(ErrorCodes.BAD_MODEL, `latency: no run of ${model.ref} was timed`);
    return {
      metric: 'latency',
      metricVersion: 1,
      values,
      sums: { ...sums(m, ''), ...(b ? sums(b, 'baseline.') : {}) },
      samples: m.runsMs.length,
      details: {
        inputs: description,
        device: m.device,
        threads: options.threads ?? 'onnxruntime default',
        peakRss:
          "VmHWM of a child process that loaded only this model; base_rss_mib is that process before the session (node, @mc-kit/core, onnxruntime's library)",
        runsMs: m.runsMs,
        ...(b
          ? {
              baseline: {
                ref: base?.ref,
                sha256: base?.sha256,
                runsMs: b.runsMs,
                startMs: b.startMs,
                peakRssMiB: b.peakRssBytes / MiB,
                baseRssMiB: b.baseRssBytes / MiB,
              },
            }
          : {}),
      },
    };
  }
}

function figures(m: Measurement) {
  const s = summarize(m.runsMs);
  const v = (value: number): MetricValue => ({ value, higherIsBetter: false });
  // p50 first: the primary value (latency.delta in gates)
  return {
    p50_ms: v(s.p50),
    p90_ms: v(s.p90),
    start_ms: v(m.startMs),
    peak_rss_mib: v(m.peakRssBytes / MiB),
    base_rss_mib: v(m.baseRssBytes / MiB),
  };
}

/** Mergeable raw figures: the count, Σ and Σ² of run times. */
function sums(m: Measurement, prefix: string): Record<string, number> {
  return {
    [`${prefix}runs`]: m.runsMs.length,
    [`${prefix}sum_ms`]: m.runsMs.reduce((a, b) => a + b, 0),
    [`${prefix}sum_ms2`]: m.runsMs.reduce((a, b) => a + b * b, 0),
    [`${prefix}start_ms`]: m.startMs,
    [`${prefix}peak_rss_bytes`]: m.peakRssBytes,
  };
}
