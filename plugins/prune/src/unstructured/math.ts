/**
 * Unstructured and N:M masks over a weight seen as rows of outputs ([O, K] row-major: row o holds the
 * K inputs of output o; views.ts makes that view from MatMul/Gemm/Conv layouts). Pure functions over
 * typed arrays (spec pruning.md "Sparsity pattern", "Scores").
 *
 * A mask is a Uint8Array of the weight's size with 1 where the weight is pruned (set to zero).
 * Ties between equal scores go to the lower index first, so every mask is deterministic.
 */

/** Magnitude scores |W|. */
export function magnitudeScores(w: Float32Array): Float64Array {
  const s = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) s[i] = Math.abs(w[i]);
  return s;
}

/** Wanda (Sun et al. 2023): S_ok = |W_ok| * ||X_k||_2, with `norms` the per-input-feature norms [K]. */
export function wandaScores(w: Float32Array, rows: number, cols: number, norms: ArrayLike<number>): Float64Array {
  if (norms.length !== cols) throw new RangeError(`wandaScores: ${norms.length} norms for ${cols} input features`);
  const s = new Float64Array(rows * cols);
  for (let o = 0; o < rows; o++) for (let k = 0; k < cols; k++) s[o * cols + k] = Math.abs(w[o * cols + k]) * norms[k];
  return s;
}

/**
 * Wanda scores of a grouped layer (a Conv with group > 1): rows split into `norms.length` equal
 * groups, group g's rows scored with group g's input norms (its own input channels' patches).
 */
export function groupedWandaScores(
  w: Float32Array,
  rows: number,
  cols: number,
  norms: readonly ArrayLike<number>[],
): Float64Array {
  if (rows % norms.length !== 0)
    throw new RangeError(`groupedWandaScores: ${rows} rows do not split into ${norms.length} groups`);
  const per = rows / norms.length;
  const s = new Float64Array(rows * cols);
  norms.forEach((n, g) =>
    s.set(wandaScores(w.subarray(g * per * cols, (g + 1) * per * cols), per, cols, n), g * per * cols),
  );
  return s;
}

/** Indices [from, from + n) ordered by score, ties by lower index (a stable sort). */
function lowestFirst(scores: ArrayLike<number>, from: number, n: number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => from + i);
  return idx.sort((a, b) => scores[a] - scores[b] || a - b);
}

/** Per output row: prune exactly floor(s * K) of each row's K weights, the lowest scores first. */
export function rowMask(scores: ArrayLike<number>, rows: number, cols: number, sparsity: number): Uint8Array {
  const mask = new Uint8Array(rows * cols);
  const count = Math.floor(sparsity * cols + 1e-9);
  if (count === 0) return mask;
  for (let o = 0; o < rows; o++) {
    const order = lowestFirst(scores, o * cols, cols);
    for (let i = 0; i < count; i++) mask[order[i]] = 1;
  }
  return mask;
}

/**
 * Per layer, the LLM-KICK/Wanda `prune_magnitude` rule exactly: thresh = sort(S)[floor(numel * s)],
 * prune every S <= thresh. Ties at the threshold push the achieved sparsity above s (reported).
 * s = 0 prunes nothing (the reference would prune the smallest weight(s); a 0 % point is the dense model).
 */
export function layerThresholdMask(scores: ArrayLike<number>, sparsity: number): Uint8Array {
  const n = scores.length;
  const mask = new Uint8Array(n);
  if (sparsity <= 0 || n === 0) return mask;
  const sorted = Float64Array.from(scores).sort();
  const thresh = sorted[Math.min(n - 1, Math.floor(n * sparsity + 1e-9))];
  for (let i = 0; i < n; i++) if (scores[i] <= thresh) mask[i] = 1;
  return mask;
}

/** N:M: in every run of M consecutive inputs of each row, prune the N lowest scores. cols % m must be 0. */
export function nmMask(scores: ArrayLike<number>, rows: number, cols: number, n: number, m: number): Uint8Array {
  if (cols % m !== 0) throw new RangeError(`nmMask: ${cols} inputs are not a multiple of ${m}`);
  if (!(n >= 0 && n < m)) throw new RangeError(`nmMask: N must be in [0, M), got ${n}:${m}`);
  const mask = new Uint8Array(rows * cols);
  for (let start = 0; start < rows * cols; start += m) {
    const order = lowestFirst(scores, start, m);
    for (let i = 0; i < n; i++) mask[order[i]] = 1;
  }
  return mask;
}

/** Zero the masked weights in place; returns how many weights are zero afterwards (pruned or already 0). */
export function applyMask(w: Float32Array, mask: Uint8Array): number {
  let zeros = 0;
  for (let i = 0; i < w.length; i++) {
    if (mask[i]) w[i] = 0;
    if (w[i] === 0) zeros++;
  }
  return zeros;
}

/** Fraction of exact zeros. */
export function sparsityOf(w: ArrayLike<number>): number {
  let zeros = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) zeros++;
  return w.length === 0 ? 0 : zeros / w.length;
}

/** Relative output error ||XW' - XW|| / ||XW|| from X^T X: core's, shared with GPTQ's per-layer report. */
export { relativeOutputError } from '@mc-kit/core';
