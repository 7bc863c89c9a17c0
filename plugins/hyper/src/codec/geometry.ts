/**
 * The per-tensor geometry of the encoder (spec §1.2, §3.1, §3.3): the padded pairs, their float32
 * centre and farthest point, the square bounds and shell radii, and the choice of K from a pass's
 * error sums. Shared by the encoder (encode.ts), l: 'auto' (auto-l.ts) and the planner.
 */
import { normF32, type PassParams } from './kernel.js';
import { meanF32 } from './numpy-f32.js';

/** Where the pair and index arrays live (the parallel driver puts them in shared memory). */
export interface Allocator {
  floats(length: number): Float32Array;
  indices(length: number): Uint32Array;
}
export const heapAllocator: Allocator = { floats: (n) => new Float32Array(n), indices: (n) => new Uint32Array(n) };

/** Shell radii d[k][s] for k = 1..M (spec §3.3): s·each + l/2, the last one set to F exactly. */
export function passParams(cx: number, cy: number, l: number, M: number, F: number): PassParams {
  const W = M + 1;
  const shells = new Float64Array(W * W);
  for (let k = 1; k <= M; k++) {
    const each = (F - l / 2) / k;
    shells[k * W] = l / 2;
    for (let s = 1; s < k; s++) shells[k * W + s] = s * each + l / 2;
    shells[k * W + k] = F;
  }
  const half32 = Math.fround(l / 2); // numpy >= 2: `centre - l/2` is float32 arithmetic (NEP 50)
  return {
    cx,
    cy,
    l,
    M,
    loX: Math.fround(cx - half32),
    hiX: Math.fround(cx + half32),
    loY: Math.fround(cy - half32),
    hiY: Math.fround(cy + half32),
    shells,
  };
}

/** The padded pairs, their centre and farthest point (spec §1.2, §3.1). */
export interface PairGeometry {
  X: Float32Array;
  pairs: number;
  pad: 0 | 1;
  cx: number;
  cy: number;
  /** F: largest float32 distance to the centre; far: the first pair at that distance */
  F: number;
  far: number;
}

export function pairGeometry(w: Float32Array, alloc: Allocator): PairGeometry {
  const N = w.length;
  const pairs = Math.ceil(N / 2);
  const pad = (2 * pairs - N) as 0 | 1;
  const X = alloc.floats(2 * pairs);
  X.set(w);
  if (pad) X[2 * pairs - 1] = meanF32(w); // the pad is the float32 mean, and joins the centre
  const cx = meanF32(X, 0, pairs, 2);
  const cy = meanF32(X, 1, pairs, 2);
  // The first pair at the largest float32 norm. The norm is fround(sqrt(s2)) of the float32
  // squared length s2, a non-decreasing function of s2, so a pair whose s2 is at most that of the
  // current farthest pair cannot beat it (ties keep the first): only a larger s2 pays for the root.
  let F = -1;
  let far = 0;
  let s2far = -1;
  for (let i = 0; i < pairs; i++) {
    const dx = Math.fround(X[2 * i] - cx);
    const dy = Math.fround(X[2 * i + 1] - cy);
    const s2 = Math.fround(Math.fround(dx * dx) + Math.fround(dy * dy));
    if (s2 <= s2far) continue;
    const d = normF32(dx, dy);
    if (d > F) {
      F = d;
      far = i;
      s2far = s2;
    }
  }
  return { X, pairs, pad, cx, cy, F, far };
}

/** K for one n from pass-1 sums (spec §3.3): first K with MAE <= threshold, else the least MAE. */
export function chooseShells(
  sums: Float64Array,
  M: number,
  pairs: number,
  lossThreshold: number,
): { K: number; loss: number } {
  const stride = M + 2;
  const total = new Float64Array(stride);
  for (let c = 0; c < sums.length; c += stride) for (let t = 0; t < stride; t++) total[t] += sums[c + t];
  const count = 2 * pairs; // the mean runs over every coordinate, pad included
  if (total[M + 1] === 0) return { K: 0, loss: total[0] / count };
  let best = 100;
  let K = -1; // None in the reference: no finite MAE -> the tensor stays raw
  for (let k = 1; k <= M; k++) {
    const loss = (total[0] + total[k]) / count;
    if (loss <= best) {
      best = loss;
      K = k;
    }
    if (loss <= lossThreshold) return { K: k, loss };
  }
  return { K, loss: best };
}
