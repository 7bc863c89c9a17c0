/**
 * Quality gates (--gate "bpc.delta<=0.02"), for CI pipelines that compress on every model change: a
 * gate names a figure of the results, an operator and a number; a failing gate ends the command
 * with exit code 3 (GateFailedError), distinct from a user's mistake (2) and our bugs (1), after the
 * results are written, naming every gate that failed and its value.
 *
 * Figure names (shared with `mc report`'s `figures`):
 *  - `<metric>.<value>`: a value of an EvalResult (`bpc.bpc`, `accuracy.top1`, `kick-mcq.accuracy.delta`);
 *  - `<metric>.<value>.delta`: value - the same value on the baseline (metric.baselineValues);
 *  - `<metric>.delta`: the delta of the metric's primary value (the first in `values`), or, for a
 *    metric that compares against the baseline itself (kick-*), its own `<primary>.delta` value.
 */
import type { MetricValue } from './contracts.js';
import { didYouMean } from './did-you-mean.js';
import { ErrorCodes, McError, UserError } from './errors.js';
import type { EvalResult } from './results.js';

export type GateOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Gate {
  /** as the user wrote it */
  readonly expr: string;
  readonly figure: string;
  readonly op: GateOp;
  readonly threshold: number;
}

export interface GateOutcome {
  readonly gate: Gate;
  readonly value: number;
  readonly passed: boolean;
  /** which sweep point (or model) the figures came from, when there are several */
  readonly where?: string;
}

export const GATE_EXIT_CODE = 3;

const GATE = /^(?<figure>[^<>=!]+?)\s*(?<op><=|>=|==|!=|<|>)\s*(?<number>\S+)$/;

/** Parse every --gate; bad syntax is the user's (exit 2), naming the gate and the grammar. */
export function parseGates(exprs: readonly string[]): Gate[] {
  return exprs.map((expr) => {
    const m = GATE.exec(expr.trim());
    const threshold = m ? Number(m.groups!.number) : Number.NaN;
    if (!m || m.groups!.number.trim() === '' || !Number.isFinite(threshold)) {
      throw new UserError(ErrorCodes.BAD_PARAM, `--gate ${JSON.stringify(expr)} is not <figure> <op> <number>`, {
        hint: 'op is one of < <= > >= == !=, e.g. --gate "bpc.delta<=0.02" or --gate "accuracy.top1>=0.98"',
      });
    }
    return { expr, figure: m.groups!.figure.trim(), op: m.groups!.op as GateOp, threshold };
  });
}

/** The metric a figure belongs to: the longest of `ids` it starts with (ids may hold dots), else what comes before its first dot. */
export function gateMetric(gate: Gate, ids: readonly string[] = []): string {
  const owner = ids.filter((id) => gate.figure.startsWith(`${id}.`)).sort((a, b) => b.length - a.length)[0];
  return owner ?? gate.figure.split('.')[0];
}

/** Does the gate read a `.delta` figure, which needs the metric's value on the baseline? */
export function gateNeedsDelta(gate: Gate): boolean {
  return gate.figure.endsWith('.delta');
}

/**
 * Before any work: each gate's metric is one of the run's (did-you-mean otherwise), and a `.delta`
 * gate has a baseline to subtract. Returns the metrics to run on the baseline as well: those gated on
 * a `.delta` that do not compare against the baseline themselves.
 */
export function planGates(
  gates: readonly Gate[],
  metrics: readonly { readonly id: string; readonly baseline?: 'required' | 'optional' }[],
  hasBaseline: boolean,
): string[] {
  const ids = metrics.map((m) => m.id);
  const also = new Set<string>();
  for (const gate of gates) {
    const id = gateMetric(gate, ids);
    const metric = metrics.find((m) => m.id === id);
    if (!metric) {
      const near = didYouMean(id, ids);
      throw new UserError(
        ErrorCodes.BAD_PARAM,
        `--gate ${gate.expr}: ${id} is not a metric of this run${near ? ` (did you mean ${near}?)` : ''}`,
        {
          hint: `a figure is <metric>.<value>, <metric>.<value>.delta or <metric>.delta; metrics: ${ids.join(', ')}`,
        },
      );
    }
    if (!gateNeedsDelta(gate)) continue;
    if (!hasBaseline) {
      throw new UserError(ErrorCodes.BAD_PARAM, `--gate ${gate.expr}: a .delta figure needs --baseline`, {
        hint: 'pass --baseline DENSE: the metric runs on it too and the delta is the difference',
      });
    }
    if (metric.baseline === undefined) also.add(id);
  }
  return [...also];
}

/** Check every gate against the figures (all of them, not just up to the first failure). NaN fails every gate. */
export function checkGates(gates: readonly Gate[], figures: Record<string, number>, where?: string): GateOutcome[] {
  const known = Object.keys(figures);
  return gates.map((gate) => {
    const value = figures[gate.figure];
    if (value === undefined) {
      const near = didYouMean(gate.figure, known);
      throw new UserError(
        ErrorCodes.BAD_PARAM,
        `--gate ${gate.expr}: no figure ${gate.figure}${where ? ` at ${where}` : ''}${near ? ` (did you mean ${near}?)` : ''}`,
        {
          hint: `figures: ${known.join(', ') || 'none'}${gateNeedsDelta(gate) ? '; .delta figures need --baseline' : ''}`,
        },
      );
    }
    return { gate, value, passed: compare(value, gate.op, gate.threshold), ...(where ? { where } : {}) };
  });
}

function compare(v: number, op: GateOp, t: number): boolean {
  if (Number.isNaN(v)) return false;
  switch (op) {
    case '<':
      return v < t;
    case '<=':
      return v <= t;
    case '>':
      return v > t;
    case '>=':
      return v >= t;
    case '==':
      return v === t;
    case '!=':
      return v !== t;
  }
}

/** The figures of one invocation's eval results (one per metric), by the names above. */
export function figuresOf(results: readonly EvalResult[]): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const r of results) {
    const id = r.metric.metric;
    const values = Object.entries(r.metric.values);
    for (const [name, v] of values) figures[`${id}.${name}`] = v.value;
    const base: Record<string, MetricValue> = r.metric.baselineValues ?? {};
    for (const [name, v] of values) {
      const key = `${id}.${name}.delta`;
      if (base[name] && !(key in figures)) figures[key] = v.value - base[name].value;
    }
    const primary = values[0]?.[0];
    if (primary !== undefined && figures[`${id}.${primary}.delta`] !== undefined && !(`${id}.delta` in figures))
      figures[`${id}.delta`] = figures[`${id}.${primary}.delta`];
  }
  return figures;
}

/** One line per gate, for the human output. */
export function describeOutcome(o: GateOutcome): string {
  return `gate ${o.gate.figure} ${o.gate.op} ${o.gate.threshold}${o.where ? ` at ${o.where}` : ''}: ${formatFigure(o.value)} ${o.passed ? 'pass' : 'FAIL'}`;
}

function formatFigure(v: number): string {
  return Number.isInteger(v)
    ? String(v)
    : Math.abs(v) >= 1e-3 || v === 0
      ? v.toFixed(6).replace(/0+$/, '')
      : v.toExponential(4);
}

/** Thrown by a command once its results are written, when a gate failed: exit 3, naming each failed gate and its value. */
export class GateFailedError extends McError {
  constructor(readonly outcomes: readonly GateOutcome[]) {
    const failed = outcomes.filter((o) => !o.passed);
    super(
      ErrorCodes.GATE_FAILED,
      `${failed.length} of ${outcomes.length} gate${outcomes.length === 1 ? '' : 's'} failed: ${failed.map((o) => `${o.gate.figure} ${o.gate.op} ${o.gate.threshold}${o.where ? ` at ${o.where}` : ''} (${o.gate.figure} = ${formatFigure(o.value)})`).join('; ')}`,
      GATE_EXIT_CODE,
      { hint: 'the results are written; the gate compares them with the threshold' },
    );
    this.name = 'GateFailedError';
  }
}

/** Throw GateFailedError when any outcome failed. */
export function enforceGates(outcomes: readonly GateOutcome[]): void {
  if (outcomes.some((o) => !o.passed)) throw new GateFailedError(outcomes);
}
