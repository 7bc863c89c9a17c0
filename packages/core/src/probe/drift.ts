/**
 * Drift, measured where it is made: the dense model runs the probes before any method touches it
 * (its outputs are kept: the model is compressed in place), and the staged output runs the same
 * probes before it is renamed into place.
 *
 * "Large" (DRIFT_THRESHOLDS): a relative output error of 50 % or more (the error is half the size
 * of the output itself), or a top-1 agreement under 50 % (most predictions changed), or NaN/infinite
 * values where the dense model has none. Measured on the shared models with the default random
 * probes: int8 0.3-2.4 %, int4 3.7-18 %, magnitude pruning of the LM at 50 % 6.5 %, channel pruning
 * of mnist-cnn at 5 % 45 % (accuracy 0.986 -> 0.967): all below; hyper at 4.5 bits on mnist-cnn
 * 84 % (accuracy 0.887) and the pruned mnist-cnn models whose accuracy falls to 0.25-0.63
 * 95-109 %: all above. Top-1 agreement on random inputs is a weak signal (random token contexts
 * give flat predictions that flip easily: 76 % for the LM pruned at 50 %, whose BPC moved by 0.5 %),
 * hence its low bar. Past either bar the compressed model no longer computes what the dense one did
 * on these inputs, and only an evaluation on real data can say whether that matters.
 */
import type { McSession, HostTensor } from '../session/types.js';
import { accumulate, classAxisOf, finish, newSums } from './compare.js';
import type { ProbePlan } from './random-feeds.js';
import type { DriftReport, DriftThresholds, OutputDrift } from './types.js';

export const DRIFT_THRESHOLDS: DriftThresholds = Object.freeze({ relativeError: 0.5, top1Agreement: 0.5 });

export type Outputs = Record<string, HostTensor>;

/** The dense model's side of the measurement. */
export interface Baseline {
  readonly plan: ProbePlan;
  /** 'random' or the --probe-dataset ref */
  readonly inputs: string;
  readonly seed: number;
  readonly outputs: readonly Outputs[];
  /** per output name: whether the graph declares its first dim symbolic (a batch) */
  readonly batchFirst: ReadonlyMap<string, boolean>;
}

export type ProbeBaseline = Baseline | { readonly notMeasured: string };

/** Run every probe; the first failure's message (one line) instead of outputs when the model cannot run them. */
export async function runProbes(session: McSession, plan: ProbePlan): Promise<Outputs[] | string> {
  const outputs: Outputs[] = [];
  for (const feeds of plan.feeds) {
    try {
      outputs.push(await session.run(feeds));
    } catch (e) {
      return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
    }
  }
  return outputs;
}

/** Compare the compressed model's outputs on the baseline's probes; throws when it cannot run them (the caller decides whose fault that is). */
export async function measureDrift(session: McSession, baseline: Baseline): Promise<DriftReport> {
  const sums = new Map<string, ReturnType<typeof newSums>>();
  for (const [k, feeds] of baseline.plan.feeds.entries()) {
    const dense = baseline.outputs[k];
    const compressed = await session.run(feeds);
    for (const [name, y] of Object.entries(dense)) {
      const z = compressed[name];
      if (!z) throw new RangeError(`the compressed model has no output ${name}`);
      if (y.dims.join() !== z.dims.join())
        throw new RangeError(
          `output ${name} has shape [${z.dims.join(', ')}], the dense model's [${y.dims.join(', ')}]`,
        );
      let s = sums.get(name);
      if (!s) sums.set(name, (s = newSums(name, classAxisOf(name, y.dims, baseline.batchFirst.get(name) ?? true))));
      accumulate(s, y, z);
    }
  }
  const outputs = [...sums.values()].map(finish);
  const warning = driftWarning(outputs, DRIFT_THRESHOLDS);
  return {
    measured: true,
    probes: baseline.plan.feeds.length,
    inputs: baseline.inputs,
    description: baseline.plan.description,
    seed: baseline.seed,
    outputs,
    thresholds: DRIFT_THRESHOLDS,
    ...(warning ? { warning } : {}),
  };
}

export function driftWarning(outputs: readonly OutputDrift[], t: DriftThresholds): string | undefined {
  const large = outputs.flatMap((o) => {
    const parts: string[] = [];
    if (o.nonFinite > 0) parts.push(`${o.nonFinite} NaN or infinite values where the dense model has finite ones`);
    if (o.relativeError >= t.relativeError) parts.push(`relative error ${percent(o.relativeError)}`);
    if (o.top1Agreement !== undefined && o.top1Agreement < t.top1Agreement)
      parts.push(`top-1 agreement ${percent(o.top1Agreement)}`);
    return parts.length ? [`${o.name}: ${parts.join(', ')}`] : [];
  });
  if (large.length === 0) return undefined;
  return `large drift from the dense model (${large.join('; ')}; large means relative error >= ${percent(t.relativeError)} or top-1 agreement < ${percent(t.top1Agreement)}): evaluate the output on real data (mc eval) before using it`;
}

export function percent(x: number): string {
  const p = x * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toPrecision(2)}%`;
}

/** The console line: every output's error (and agreement), at most three, then a count. */
export function driftLine(d: DriftReport): string {
  if (!d.measured) return `drift: not measured (${d.reason})`;
  const shown = d.outputs
    .slice(0, 3)
    .map(
      (o) =>
        `${o.name} ${percent(o.relativeError)}${o.top1Agreement !== undefined ? ` (top-1 agreement ${percent(o.top1Agreement)})` : ''}`,
    );
  const more = d.outputs.length > 3 ? `, and ${d.outputs.length - 3} more outputs` : '';
  return `drift on ${d.probes} ${d.inputs === 'random' ? 'random' : `${d.inputs}`} probes, relative output error: ${shown.join(', ')}${more}`;
}
