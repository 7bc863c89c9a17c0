/**
 * Test-only: spec §8.3 transcribed literally (brute-force nearest point, no chunks, no lattice,
 * no workers): the definition the fast encoder is tested against on inputs beyond the golden set.
 */
import { buildCodebook, nearestBrute, normF32 } from './kernel.js';
import { meanF32 } from './numpy-f32.js';

const f32 = Math.fround;

export interface RefEncoding {
  idx: number[];
  n: number;
  nIndex: number;
  K: number;
  pad: number;
  cx: number;
  cy: number;
}

export function encodeRef(
  w: Float32Array,
  l: number,
  U: number[],
  M: number,
  lossMax = 1e-3,
  lossThr = 1e-3,
): RefEncoding {
  const N = w.length;
  const P = Math.ceil(N / 2);
  const pad = 2 * P - N;
  const X = new Float32Array(2 * P);
  X.set(w);
  if (pad) X[2 * P - 1] = meanF32(w);
  const cx = meanF32(X, 0, P, 2);
  const cy = meanF32(X, 1, P, 2);
  const dist = Array.from({ length: P }, (_, i) => normF32(f32(X[2 * i] - cx), f32(X[2 * i + 1] - cy)));
  const F = Math.max(...dist);
  const h = f32(l / 2);
  const inner = (i: number): boolean =>
    X[2 * i] >= f32(cx - h) && X[2 * i] <= f32(cx + h) && X[2 * i + 1] >= f32(cy - h) && X[2 * i + 1] <= f32(cy + h);
  let n = 0;
  let nIndex = 0;
  let K = 0;
  let T: Float64Array = new Float64Array(0);
  for (let u = 0; u < U.length; u++) {
    n = U[u];
    nIndex = u;
    T = buildCodebook(n, l, cx, cy);
    const errs: number[] = [];
    const outer: number[] = [];
    for (let i = 0; i < P; i++) {
      if (inner(i)) {
        const j = nearestBrute(T, X[2 * i], X[2 * i + 1]);
        errs.push(Math.abs(T[2 * j] - X[2 * i]), Math.abs(T[2 * j + 1] - X[2 * i + 1]));
      } else outer.push(i);
    }
    let best = 100;
    if (outer.length === 0) {
      K = 0;
      best = errs.reduce((a, b) => a + b, 0) / (2 * P);
    } else {
      K = -1;
      for (let k = 1; k <= M; k++) {
        const each = (F - l / 2) / k;
        const d = (s: number): number => (s === k ? F : s * each + l / 2);
        let sum = errs.reduce((a, b) => a + b, 0);
        for (const i of outer) {
          let s = 1;
          while (s < k && !(dist[i] <= d(s))) s++;
          const f = l / 2 / d(s);
          const j = nearestBrute(T, f32(X[2 * i] - cx) * f + cx, f32(X[2 * i + 1] - cy) * f + cy);
          sum += Math.abs((T[2 * j] - cx) / f + cx - X[2 * i]) + Math.abs((T[2 * j + 1] - cy) / f + cy - X[2 * i + 1]);
        }
        const loss = sum / (2 * P);
        if (loss <= best) {
          best = loss;
          K = k;
        }
        if (loss <= lossThr) {
          K = k;
          best = loss;
          break;
        }
      }
    }
    if (!(best > lossMax && u !== U.length - 1)) break;
  }
  const each = K > 0 ? (F - l / 2) / K : 0;
  const d = (s: number): number => (s === K ? F : s * each + l / 2);
  const idx: number[] = [];
  for (let i = 0; i < P; i++) {
    if (K === 0) {
      idx.push(nearestBrute(T, X[2 * i], X[2 * i + 1]));
      continue;
    }
    let s = 0;
    if (!inner(i)) while (!(dist[i] <= d(s))) s++;
    const f = l / 2 / d(s);
    idx.push(nearestBrute(T, f32(X[2 * i] - cx) * f + cx, f32(X[2 * i + 1] - cy) * f + cy) + (n + 1) * s);
  }
  return { idx, n, nIndex, K, pad, cx, cy };
}
