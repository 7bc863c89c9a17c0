/**
 * Data-aware channel choice: greedy Optimal Brain Surgeon over whole channels (pure, float64).
 *
 * For one consumer layer with weights W [rows, n] and H = G (the damped Gram matrix of its input
 * patches), removing the feature columns S and letting the other columns compensate optimally
 * (the least-squares refit of refit.ts) raises the output error Σ‖Δy‖² by
 *   cost(S) = tr( W_S · [(H⁻¹)_SS]⁻¹ · W_Sᵀ ).
 * A channel is the set S of its kh·kw columns in each consumer that reads it; its cost is the sum
 * over those consumers of cost(S) / (the consumer's dense output energy), so a channel read by two
 * layers (a UNet skip: the next encoder Conv and, through the Concat, the decoder Conv) is weighed
 * by what it does to both, each relative to its own output. The cheapest channel goes, every
 * consumer's W and H⁻¹ are updated as if it were refit (W_R −= W_S M (H⁻¹)_SR, H⁻¹ downdated), and
 * the next is chosen on the updated state, until `count` are gone. States persist across calls, so
 * a consumer shared by several groups (a Concat of two producers) sees the earlier removals.
 */
import { choleskyLower, inverseFromCholesky } from '@mc-kit/core';

export interface ObsLayer {
  readonly rows: number;
  readonly n: number;
  /** current weights [rows, n] (updated in place) */
  readonly W: Float64Array;
  /** current H⁻¹ [n, n] (downdated in place; removed columns become 0) */
  readonly Hinv: Float64Array;
  /** dense output energy tr(W G Wᵀ): the cost's unit */
  readonly energy: number;
}

/** A consumer of one group's channels: the layer, and the feature columns channel c occupies in it ([] if it does not read c). */
export interface ObsReader {
  readonly layer: ObsLayer;
  readonly columns: (c: number) => readonly number[];
}

/** A fresh state from W [rows, n] and the damped G; undefined when G is not positive definite. */
export function obsLayer(
  W: ArrayLike<number>,
  rows: number,
  Gd: Float64Array,
  n: number,
  energy: number,
): ObsLayer | undefined {
  const L = choleskyLower(Gd, n);
  if (!L) return undefined;
  return { rows, n, W: Float64Array.from(W), Hinv: inverseFromCholesky(L, n), energy };
}

/** [(H⁻¹)_SS]⁻¹, |S| x |S|; undefined when singular (S already removed). */
function blockInverse(layer: ObsLayer, S: readonly number[]): Float64Array | undefined {
  const s = S.length;
  const B = new Float64Array(s * s);
  for (let a = 0; a < s; a++) for (let b = 0; b < s; b++) B[a * s + b] = layer.Hinv[S[a] * layer.n + S[b]];
  const L = choleskyLower(B, s);
  return L ? inverseFromCholesky(L, s) : undefined;
}

/** tr(W_S M W_Sᵀ) / energy: the relative error increase of removing S from this layer now. */
export function removalCost(layer: ObsLayer, S: readonly number[]): number {
  if (S.length === 0) return 0;
  const M = blockInverse(layer, S);
  if (!M) return Infinity;
  const s = S.length;
  const w = new Float64Array(s);
  let cost = 0;
  for (let r = 0; r < layer.rows; r++) {
    for (let a = 0; a < s; a++) w[a] = layer.W[r * layer.n + S[a]];
    for (let a = 0; a < s; a++) {
      if (w[a] === 0) continue;
      let m = 0;
      for (let b = 0; b < s; b++) m += M[a * s + b] * w[b];
      cost += w[a] * m;
    }
  }
  return layer.energy > 0 ? cost / layer.energy : cost;
}

/** Remove S: the OBS update of W and the downdate of H⁻¹ (rows and columns S become exactly 0). */
export function removeColumns(layer: ObsLayer, S: readonly number[]): void {
  if (S.length === 0) return;
  const M = blockInverse(layer, S);
  if (!M) return;
  const { n, rows, W, Hinv } = layer;
  const s = S.length;
  // U = H⁻¹[:, S] (n x s), V = U M (n x s)
  const U = new Float64Array(n * s);
  for (let i = 0; i < n; i++) for (let a = 0; a < s; a++) U[i * s + a] = Hinv[i * n + S[a]];
  const V = new Float64Array(n * s);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < s; a++) {
      let v = 0;
      for (let b = 0; b < s; b++) v += U[i * s + b] * M[b * s + a];
      V[i * s + a] = v;
    }
  // W[r, :] −= (W_S M) U^T ; (W_S M)[a] = Σ_b w_S[b] M[b, a]
  const wm = new Float64Array(s);
  for (let r = 0; r < rows; r++) {
    wm.fill(0);
    for (let b = 0; b < s; b++) {
      const w = W[r * n + S[b]];
      if (w !== 0) for (let a = 0; a < s; a++) wm[a] += w * M[b * s + a];
    }
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let a = 0; a < s; a++) d += wm[a] * U[i * s + a];
      W[r * n + i] -= d;
    }
  }
  // H⁻¹ −= V Uᵀ (= U M Uᵀ)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let a = 0; a < s; a++) d += V[i * s + a] * U[j * s + a];
      Hinv[i * n + j] -= d;
    }
  for (const j of S) {
    for (let r = 0; r < rows; r++) W[r * n + j] = 0;
    for (let i = 0; i < n; i++) Hinv[i * n + j] = Hinv[j * n + i] = 0;
  }
}

/**
 * Greedy choice of `count` of `channels` channels to remove (ascending indices); updates the readers'
 * layers as it goes. Ties go to the lower index.
 */
export function greedyChannels(readers: readonly ObsReader[], channels: number, count: number): number[] {
  const gone = new Set<number>();
  for (let step = 0; step < count; step++) {
    let best = -1;
    let bestCost = Infinity;
    for (let c = 0; c < channels; c++) {
      if (gone.has(c)) continue;
      let cost = 0;
      for (const r of readers) cost += removalCost(r.layer, r.columns(c));
      if (best < 0 || cost < bestCost) {
        best = c;
        bestCost = cost;
      }
    }
    gone.add(best);
    for (const r of readers) removeColumns(r.layer, r.columns(best));
  }
  return [...gone].sort((a, b) => a - b);
}
