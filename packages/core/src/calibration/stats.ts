/**
 * Streaming activation statistics (types.ts ActivationStats): sums over rows, kept in float64, that
 * merge exactly (STYLE.md §2, §11). The capture adds one window's X^T X (computed by onnxruntime
 * in float32 over that window's rows) with addWindow; accumulateRows is the plain float64 reference
 * over raw rows (used when only sums of squares are wanted, and by tests).
 */
import { BugError } from '../errors.js';
import type { ActivationStats } from './types.js';

/** Empty statistics for K features; `hessian` allocates the K x K sum (8 K^2 bytes). */
export function createStats(features: number, hessian: boolean, sums = false): ActivationStats {
  if (!Number.isInteger(features) || features <= 0)
    throw new BugError(`createStats: features must be a positive integer, got ${features}`);
  return {
    features,
    rows: 0,
    sumSquares: new Float64Array(features),
    xtx: hessian ? new Float64Array(features * features) : undefined,
    ...(sums ? { sum: new Float64Array(features) } : {}),
  };
}

/** Add one window's Σ x_j [K] (from the capture graph); rows are counted by addWindow. */
export function addSums(stats: ActivationStats, sums: ArrayLike<number>): void {
  const K = stats.features;
  if (!stats.sum) throw new BugError('addSums: these statistics were created without sums');
  if (sums.length !== K) throw new BugError(`addSums: ${sums.length} values, expected ${K}`);
  for (let j = 0; j < K; j++) stats.sum[j] += sums[j];
}

/** Rows processed per pass over the K x K sum: a row block of X stays in cache while each H row is updated. */
const ROW_BLOCK = 64;

/** Fold rows of X [rows, K] (row-major) into the sums, in float64. */
export function accumulateRows(stats: ActivationStats, x: ArrayLike<number>, rows: number): void {
  const K = stats.features;
  if (x.length !== rows * K) throw new BugError(`accumulateRows: ${x.length} values are not ${rows} rows of ${K}`);
  const ss = stats.sumSquares;
  for (let r = 0; r < rows; r++) for (let j = 0; j < K; j++) ss[j] += x[r * K + j] * x[r * K + j];
  const H = stats.xtx;
  if (H) {
    // Upper triangle only (symmetry), mirrored at the end of each call.
    for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
      const r1 = Math.min(rows, r0 + ROW_BLOCK);
      for (let i = 0; i < K; i++) {
        const rowOff = i * K;
        for (let r = r0; r < r1; r++) {
          const base = r * K;
          const xi = x[base + i];
          if (xi === 0) continue;
          for (let j = i; j < K; j++) H[rowOff + j] += xi * x[base + j];
        }
      }
    }
    mirrorUpper(H, K);
  }
  stats.rows += rows;
}

/** Add one window's X^T X [K, K] (float32 from the capture graph, both triangles) over `rows` rows. */
export function addWindow(stats: ActivationStats, xtx: ArrayLike<number>, rows: number): void {
  const K = stats.features;
  const H = stats.xtx;
  if (!H) throw new BugError('addWindow: these statistics were created without a Hessian');
  if (xtx.length !== K * K) throw new BugError(`addWindow: X^T X has ${xtx.length} values, expected ${K} x ${K}`);
  for (let i = 0; i < K * K; i++) H[i] += xtx[i];
  // The diagonal of X^T X is Σ x_j^2: the Wanda norms come for free.
  for (let j = 0; j < K; j++) stats.sumSquares[j] += xtx[j * K + j];
  stats.rows += rows;
}

/** Add raw rows' sums of squares only (when no Hessian is wanted). */
export function addSquares(stats: ActivationStats, x: ArrayLike<number>, rows: number): void {
  const K = stats.features;
  if (x.length !== rows * K) throw new BugError(`addSquares: ${x.length} values are not ${rows} rows of ${K}`);
  const ss = stats.sumSquares;
  for (let r = 0; r < rows; r++) {
    const base = r * K;
    for (let j = 0; j < K; j++) ss[j] += x[base + j] * x[base + j];
  }
  stats.rows += rows;
}

/** Add one window's Σ x_j^2 [K] (from the capture graph) over `rows` rows. */
export function addSumSquares(stats: ActivationStats, sumSquares: ArrayLike<number>, rows: number): void {
  const K = stats.features;
  if (sumSquares.length !== K) throw new BugError(`addSumSquares: ${sumSquares.length} values, expected ${K}`);
  for (let j = 0; j < K; j++) stats.sumSquares[j] += sumSquares[j];
  stats.rows += rows;
}

/** a + b as new statistics (the chunk-merge: stats of two halves merge to the stats of the whole). */
export function mergeStats(a: ActivationStats, b: ActivationStats): ActivationStats {
  if (a.features !== b.features) throw new BugError(`mergeStats: ${a.features} vs ${b.features} features`);
  if (!!a.xtx !== !!b.xtx) throw new BugError('mergeStats: one side has a Hessian, the other not');
  if (!!a.sum !== !!b.sum) throw new BugError('mergeStats: one side has sums, the other not');
  const out = createStats(a.features, !!a.xtx, !!a.sum);
  out.rows = a.rows + b.rows;
  if (out.sum && a.sum && b.sum) for (let j = 0; j < a.features; j++) out.sum[j] = a.sum[j] + b.sum[j];
  for (let j = 0; j < a.features; j++) out.sumSquares[j] = a.sumSquares[j] + b.sumSquares[j];
  if (out.xtx && a.xtx && b.xtx) for (let i = 0; i < out.xtx.length; i++) out.xtx[i] = a.xtx[i] + b.xtx[i];
  return out;
}

/** Wanda's ||X_j||_2 over all calibration rows, per input feature [K]. */
export function featureNorms(stats: ActivationStats): Float64Array {
  return stats.sumSquares.map(Math.sqrt);
}

/** GPTQ's / SparseGPT's H = 2/n Σ X^T X [K * K] (float64, a fresh copy the solver may modify). */
export function hessianOf(stats: ActivationStats): Float64Array {
  if (!stats.xtx) throw new BugError('hessianOf: captured without hessian: true');
  const scale = stats.rows > 0 ? 2 / stats.rows : 0;
  return stats.xtx.map((v) => v * scale);
}

function mirrorUpper(H: Float64Array, K: number): void {
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) H[j * K + i] = H[i * K + j];
}
