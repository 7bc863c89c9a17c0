/**
 * Least-squares repair of a layer whose input lost channels (pure, float64).
 *
 * A consumer layer is seen as rows of weights over n features: the im2col patch features
 * (Cin·kh·kw, in the order of W viewed [Cout, Cin·kh·kw]) and, when the layer has a bias, one more
 * feature that is always 1. Its statistics are the Gram matrix G = Σ_patches x xᵀ over those n
 * features (augmentedGram: X^T X, Σx and the row count). Keeping only the columns K, the weights
 * that best reproduce the dense output XWᵀ in the least-squares sense are
 *   W_K = W · G[:,K] · G_KK⁻¹ = W_K + W_R · G[R,K] · G_KK⁻¹        (R: the removed columns)
 * The ones feature is always kept, so what removed channels carried on average (a ReLU of a bias,
 * a BatchNorm shift) moves into the bias through Σx instead of being lost.
 *
 * Damping (the GPTQ rule): G + λI with λ = damp · mean of G's diagonal over the patch features, so
 * that a dead input (a zero column) or a channel that is a constant (a multiple of the ones column)
 * leaves G_KK invertible. The second form above is used: when nothing is removed it returns W as is.
 */
import { choleskyLower, inverseFromCholesky } from '@mc-kit/core';

/** Sums over patches (rows) of the patch vectors x ∈ R^features: what a consumer's statistics are. */
export interface PatchStats {
  readonly features: number;
  /** patches seen */
  readonly rows: number;
  /** Σ x xᵀ, [features²] row-major, both triangles */
  readonly xtx: Float64Array;
  /** Σ x, [features] */
  readonly sum: Float64Array;
}

/** G over the features, plus the ones feature last when `ones` (n = features + 1). */
export function augmentedGram(s: PatchStats, ones: boolean): { G: Float64Array; n: number } {
  const F = s.features;
  if (!ones) return { G: Float64Array.from(s.xtx), n: F };
  const n = F + 1;
  const G = new Float64Array(n * n);
  for (let i = 0; i < F; i++) {
    G.set(s.xtx.subarray(i * F, (i + 1) * F), i * n);
    G[i * n + F] = s.sum[i];
    G[F * n + i] = s.sum[i];
  }
  G[F * n + F] = s.rows;
  return { G, n };
}

/** A damped copy: λ = damp · mean(diag G[0:features]) on every diagonal entry (λ = damp when that mean is 0). */
export function damped(G: Float64Array, n: number, features: number, damp: number): Float64Array {
  let mean = 0;
  for (let j = 0; j < features; j++) mean += G[j * n + j];
  mean = features > 0 ? mean / features : 0;
  const lambda = damp * (mean > 0 ? mean : 1);
  const out = Float64Array.from(G);
  for (let j = 0; j < n; j++) out[j * n + j] += lambda;
  return out;
}

/**
 * The refit weights over the kept columns, [rows, kept.length]: W_K + W_R·G[R,K]·G_KK⁻¹ with G the
 * (damped) Gram matrix. Undefined when G_KK is not positive definite (damping too small).
 */
export function refitColumns(
  W: ArrayLike<number>,
  rows: number,
  G: Float64Array,
  n: number,
  kept: readonly number[],
): Float64Array | undefined {
  const k = kept.length;
  const keptSet = new Set(kept);
  const removed = Array.from({ length: n }, (_, j) => j).filter((j) => !keptSet.has(j));
  const out = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) for (let a = 0; a < k; a++) out[r * k + a] = W[r * n + kept[a]];
  if (removed.length === 0) return out;
  const GKK = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) GKK[a * k + b] = G[kept[a] * n + kept[b]];
  const L = choleskyLower(GKK, k);
  if (!L) return undefined;
  const inv = inverseFromCholesky(L, k);
  // C = W_R · G[R,K], [rows, k]; then out += C · G_KK⁻¹
  const C = new Float64Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (const j of removed) {
      const w = W[r * n + j];
      if (w === 0) continue;
      for (let a = 0; a < k; a++) C[r * k + a] += w * G[j * n + kept[a]];
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let a = 0; a < k; a++) {
      const c = C[r * k + a];
      if (c === 0) continue;
      for (let b = 0; b < k; b++) out[r * k + b] += c * inv[a * k + b];
    }
  }
  return out;
}

/** Scatter [rows, kept.length] back to [rows, n] with zeros in the removed columns. */
export function scatterColumns(WK: ArrayLike<number>, rows: number, n: number, kept: readonly number[]): Float64Array {
  const k = kept.length;
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) for (let a = 0; a < k; a++) out[r * n + kept[a]] = WK[r * k + a];
  return out;
}
