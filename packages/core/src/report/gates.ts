/**
 * --gate on mc report: every compressed row (not the dense one, the reference of the deltas) is
 * checked. A figure that no row has is a mistake in the gate (exit 2, with did-you-mean, from
 * checkGates); a row that lacks a figure others have (an eval not run on it) fails that gate with
 * NaN rather than passing silently.
 */
import { checkGates, type Gate, type GateOutcome } from '../gates.js';
import type { Report } from './types.js';

export function checkReportGates(report: Report, gates: readonly Gate[]): GateOutcome[] {
  if (gates.length === 0) return [];
  const rows = report.rows.filter((r) => !r.dense);
  checkGates(gates, Object.assign({}, ...report.rows.map((r) => r.figures))); // only for its refusal of a figure no row has (did-you-mean over them all)
  return rows.flatMap((r) =>
    checkGates(gates, Object.fromEntries(gates.map((g) => [g.figure, r.figures[g.figure] ?? Number.NaN])), r.label),
  );
}
