/**
 * `l: 'auto'`: a square side chosen per tensor from its own distribution.
 *
 * Why: the reference's l is in raw weight units (spec §1.2), so one l fits few tensors: a layer
 * whose weights spread ±0.01 sees a 0.1 square as one coarse cell, a layer spreading ±1 puts
 * nearly every pair in the outer shells, whose error grows with the shell radius.
 *
 * The rule (deterministic, scale-equivariant):
 *  1. Take up to AUTO_L_SAMPLE pairs at an even stride (all pairs for small tensors).
 *  2. Candidates: l = 2·Q_q(r) for q in AUTO_L_QUANTILES, where r = max(|x − cx|, |y − cy|) is a
 *     pair's Chebyshev distance to the tensor's centre: the square that holds a fraction q of
 *     the pairs.
 *  3. Score each candidate by the encoder's own K search (first n of U, shells up to M, the
 *     tensor's true centre and farthest distance F) on the sample, and keep the least MAE
 *     (ties: the smaller quantile). Candidates that are 0 or not finite are skipped; a tensor
 *     whose pairs all sit on the centre gets l = 1 (any l encodes it exactly).
 * The chosen l is stored in the tensor's side info (HyperEncodedTensor.l).
 */
import { buildCodebook, buildLattice, scanPairs } from './kernel.js';
import { chooseShells, passParams, type PairGeometry } from './geometry.js';
import type { ResolvedSettings } from './settings.js';

export const AUTO_L_SAMPLE = 16384;
export const AUTO_L_QUANTILES: readonly number[] = Object.freeze([0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1]);

/** Pairs at an even stride, at most `limit` of them (a copy, so it can be scanned alone). */
export function samplePairs(X: Float32Array, pairs: number, limit: number): Float32Array {
  const stride = Math.max(1, Math.ceil(pairs / limit));
  const count = Math.ceil(pairs / stride);
  const S = new Float32Array(2 * count);
  for (let t = 0; t < count; t++) {
    S[2 * t] = X[2 * t * stride];
    S[2 * t + 1] = X[2 * t * stride + 1];
  }
  return S;
}

/** MAE the encoder would reach on sample S with side l (its K search), n = U[0]. */
export function sampleLoss(
  S: Float32Array,
  g: Pick<PairGeometry, 'cx' | 'cy' | 'F'>,
  l: number,
  n: number,
  M: number,
  lossThreshold: number,
): { loss: number; K: number } {
  const pass = passParams(g.cx, g.cy, l, M, g.F);
  const L = buildLattice(buildCodebook(n, l, g.cx, g.cy), n, l);
  const sums = new Float64Array(M + 2);
  scanPairs(L, S, 0, S.length >> 1, pass, sums, new Uint32Array(S.length >> 1));
  return chooseShells(sums, M, S.length >> 1, lossThreshold);
}

/** Candidate sides 2·Q_q(Chebyshev radius) of a sample. */
export function autoLCandidates(S: Float32Array, cx: number, cy: number): number[] {
  const count = S.length >> 1;
  const r = new Float64Array(count);
  for (let t = 0; t < count; t++) r[t] = Math.max(Math.abs(S[2 * t] - cx), Math.abs(S[2 * t + 1] - cy));
  r.sort();
  const out: number[] = [];
  for (const q of AUTO_L_QUANTILES) {
    const l = 2 * r[Math.min(count - 1, Math.floor(q * (count - 1)))];
    if (l > 0 && Number.isFinite(l) && !out.includes(l)) out.push(l);
  }
  return out;
}

export function chooseAutoL(g: PairGeometry, s: Pick<ResolvedSettings, 'U' | 'M' | 'lossThreshold'>): number {
  const S = samplePairs(g.X, g.pairs, AUTO_L_SAMPLE);
  let bestL = 1;
  let best = Infinity;
  for (const l of autoLCandidates(S, g.cx, g.cy)) {
    const { loss, K } = sampleLoss(S, g, l, s.U[0], s.M, s.lossThreshold);
    if (K >= 0 && loss < best) {
      best = loss;
      bestL = l;
    }
  }
  return bestL;
}
