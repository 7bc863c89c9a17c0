/**
 * SparseGPT (Frantar & Alistarh 2023, arXiv 2301.00774), the `fasterprune` of IST-DASLab/sparsegpt
 * on one weight in the rows view ([O, K], row o = inputs of output o), given H = 2/n X^T X [K, K]:
 *
 *   Hinv = cholesky_upper((H + damp * mean(diag H) I)^-1), by core's prepareHessian (dead inputs
 *          zeroed; damp raised 10x while H is not positive definite, as GPTQ does)
 *   for each block of `blockSize` columns:
 *     mask: unstructured -> prune the floor(numel * s) lowest W^2 / diag(Hinv)^2 over the block
 *           (rows x block: "adaptive"; the reference prunes `<= sorted[floor(numel * s)]`, one more
 *           per block, and ties; here exactly floor(numel * s), ties to the lower index); N:M -> per row, in each run of M columns, the N
 *           lowest W^2 / diag(Hinv)^2, chosen when the run starts (after earlier updates);
 *     for each column j: q = w with pruned entries 0; err = (w - q) / Hinv_jj;
 *           W[:, j:block end] -= err (x) Hinv[j, j:block end]
 *     W[:, block end:] -= Err (x) Hinv[block, block end:]
 */
import { rowMask } from '../unstructured/math.js';
import { prepareHessian } from '@mc-kit/core';
import { NotPositiveDefinite } from './linalg.js';

export interface SparseGptOptions {
  /** unstructured sparsity (ignored when nm is given) */
  readonly sparsity: number;
  /** N:M pattern (N pruned of every M) */
  readonly nm?: { readonly n: number; readonly m: number };
  /** columns per block (128 in the reference) */
  readonly blockSize: number;
  /** dampening as a fraction of mean(diag H) (0.01 in the reference) */
  readonly damp: number;
}

export interface SparseGptResult {
  /** the pruned and updated weight, rows view */
  readonly weight: Float32Array;
  /** Σ (w - q)^2 / Hinv_jj^2 / 2, the reference's Losses summed over rows */
  readonly loss: number;
  /** the damping fraction that made H positive definite (opts.damp unless it had to grow) */
  readonly dampUsed: number;
}

/** Prune `w` ([rows, cols], not modified) with the Hessian `H` ([cols, cols], not modified). */
export function sparseGpt(
  w: Float32Array,
  rows: number,
  cols: number,
  H: Float64Array,
  opts: SparseGptOptions,
): SparseGptResult {
  const prepared = prepareHessian(H, cols, { damp: opts.damp });
  if (!prepared) throw new NotPositiveDefinite();
  const { Hinv, dead } = prepared;
  const W = Float64Array.from(w);
  for (let k = 0; k < cols; k++) if (dead[k]) for (let o = 0; o < rows; o++) W[o * cols + k] = 0;
  const diag = (j: number) => Hinv[j * cols + j];
  let loss = 0;

  for (let b0 = 0; b0 < cols; b0 += opts.blockSize) {
    const b1 = Math.min(cols, b0 + opts.blockSize);
    const width = b1 - b0;
    const mask = new Uint8Array(rows * width); // [rows, width]
    if (!opts.nm && opts.sparsity > 0) {
      const score = new Float64Array(rows * width);
      for (let o = 0; o < rows; o++)
        for (let t = 0; t < width; t++) score[o * width + t] = W[o * cols + b0 + t] ** 2 / diag(b0 + t) ** 2;
      mask.set(rowMask(score, 1, rows * width, opts.sparsity));
    }
    const err = new Float64Array(rows * width);
    for (let t = 0; t < width; t++) {
      const j = b0 + t;
      if (opts.nm && t % opts.nm.m === 0)
        chooseNm(W, mask, rows, cols, b0, t, Math.min(opts.nm.m, width - t), opts.nm.n, diag);
      const d = diag(j);
      const hrow = j * cols;
      for (let o = 0; o < rows; o++) {
        const wv = W[o * cols + j];
        const q = mask[o * width + t] ? 0 : wv;
        const e = (wv - q) / d;
        loss += ((wv - q) * (wv - q)) / (d * d) / 2;
        W[o * cols + j] = q;
        err[o * width + t] = e;
        if (e === 0) continue;
        const base = o * cols;
        for (let c = j + 1; c < b1; c++) W[base + c] -= e * Hinv[hrow + c];
      }
    }
    // Lazy batch update of the columns after the block.
    if (b1 < cols) {
      for (let o = 0; o < rows; o++) {
        const base = o * cols;
        for (let t = 0; t < width; t++) {
          const e = err[o * width + t];
          if (e === 0) continue;
          const hrow = (b0 + t) * cols;
          for (let c = b1; c < cols; c++) W[base + c] -= e * Hinv[hrow + c];
        }
      }
    }
  }
  return { weight: Float32Array.from(W), loss, dampUsed: prepared.dampUsed };
}

/** N:M inside a block: for each row, the N lowest W^2/Hinv_jj^2 of the run starting at column t. */
function chooseNm(
  W: Float64Array,
  mask: Uint8Array,
  rows: number,
  cols: number,
  b0: number,
  t: number,
  run: number,
  n: number,
  diag: (j: number) => number,
): void {
  const width = mask.length / rows;
  const idx = Array.from({ length: run }, (_, i) => i);
  for (let o = 0; o < rows; o++) {
    const score = idx.map((i) => W[o * cols + b0 + t + i] ** 2 / diag(b0 + t + i) ** 2);
    const order = [...idx].sort((a, b) => score[a] - score[b] || a - b);
    for (let i = 0; i < Math.min(n, run); i++) mask[o * width + t + order[i]] = 1;
  }
}
