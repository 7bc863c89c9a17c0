/**
 * The Hessian preparation of the second-order compressors (GPTQ, SparseGPT), once: the steps their
 * references (IST-DASLab gptq.py `fasterquant`, sparsegpt.py `fasterprune`) run before the column walk.
 *
 * Layout: H = 2/n XᵀX over a weight's K inputs, row-major K x K float64 (both triangles). The
 * input is not modified.
 * 1. Dead inputs (H_jj = 0: never active in calibration) get H_jj = 1; they are returned so that the
 *    caller zeroes their weights in its own weight layout.
 * 2. An optional column order (GPTQ's act-order) permutes H: H'[i][j] = H[order[i]][order[j]].
 * 3. Damping: λ = damp · mean(diag H) is added to the diagonal and
 *    Hinv = cholesky_upper((H + λI)^-1) is taken. When H + λI is not positive definite the damping
 *    fraction grows 10x (from 0.01 when it was 0), up to five times, and the fraction used is
 *    returned for the caller to report. The references simply fail there; a larger damping still
 *    gives a valid solve (closer to plain rounding/magnitude), which beats refusing the model.
 *    Undefined when even the last try fails: the caller knows what to tell the user.
 */
import { choleskyUpperOfInverse } from './cholesky.js';

export interface HessianOptions {
  /** fraction of mean(diag H) added to the diagonal (the references' percdamp, 0.01) */
  readonly damp: number;
  /** the column order to walk, from H with its dead inputs set to 1 (GPTQ's act-order) */
  readonly order?: (H: Float64Array, K: number) => Int32Array;
}

export interface PreparedHessian {
  /** cholesky_upper((H + λI)^-1) in the walk's column order, K x K row-major */
  readonly Hinv: Float64Array;
  /** dead[j] = 1 for input j (original order) with H_jj = 0 */
  readonly dead: Uint8Array;
  readonly deadCount: number;
  /** the damping fraction that made H positive definite (options.damp unless it had to grow) */
  readonly dampUsed: number;
  /** the walk's column order when options.order was given */
  readonly order?: Int32Array;
}

/** Damping tries: the asked fraction, then 10x more each time, five times. */
const DAMP_TRIES = 6;

export function prepareHessian(H: Float64Array, K: number, options: HessianOptions): PreparedHessian | undefined {
  if (H.length !== K * K) throw new RangeError(`prepareHessian: H has ${H.length} values, not ${K} x ${K}`);
  let A: Float64Array = Float64Array.from(H);
  const dead = new Uint8Array(K);
  let deadCount = 0;
  for (let j = 0; j < K; j++) {
    if (A[j * K + j] !== 0) continue;
    A[j * K + j] = 1;
    dead[j] = 1;
    deadCount++;
  }
  const order = options.order?.(A, K);
  if (order) A = permuteSymmetric(A, K, order);
  let meanDiag = 0;
  for (let j = 0; j < K; j++) meanDiag += A[j * K + j] / K;
  for (let d = options.damp, tries = 0; tries < DAMP_TRIES; d = d > 0 ? d * 10 : 0.01, tries++) {
    const damped = Float64Array.from(A);
    for (let j = 0; j < K; j++) damped[j * K + j] += d * meanDiag;
    const Hinv = choleskyUpperOfInverse(damped, K);
    if (Hinv) return { Hinv, dead, deadCount, dampUsed: d, order };
  }
  return undefined;
}

/** H' = P H P^T for column order `order` (H'[i][j] = H[order[i]][order[j]]). */
export function permuteSymmetric(H: Float64Array, K: number, order: ArrayLike<number>): Float64Array {
  const out = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) out[i * K + j] = H[order[i] * K + order[j]];
  return out;
}
