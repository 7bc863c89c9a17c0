/**
 * The per-pair passes of the hyperfunction encoder (spec §3.1–§3.4) over a range of pairs.
 *
 * The worker threads (encode-worker.ts) import these very functions, and the calling thread runs
 * them too, so the single-thread and worker paths share every flop.
 *
 * Float discipline: values that the reference keeps in float32 go through Math.fround after each
 * op; everything else is float64 `number` arithmetic in the reference's order.
 */
import {
  buildCodebook,
  buildLattice,
  nearestBrute,
  nearestFast,
  nearestInRow,
  nearestLattice,
  nearestNear,
  nearestRings,
  windingSteps,
  type Lattice,
} from './lattice.js';

export {
  buildCodebook,
  buildLattice,
  nearestBrute,
  nearestFast,
  nearestInRow,
  nearestLattice,
  nearestNear,
  nearestRings,
  windingSteps,
  type Lattice,
};

/** np.linalg.norm of a float32 2-vector: every step rounded to float32 (spec §3.1). */
export function normF32(dx: number, dy: number): number {
  return Math.fround(Math.sqrt(Math.fround(Math.fround(dx * dx) + Math.fround(dy * dy))));
}

/**
 * What one pass needs about the tensor and the candidate n. `shells` holds, for every k in 1..M,
 * the radii d[k][0..k] at shells[k·(M+1) + s] (d[k][0] = l/2, d[k][k] = F, as the encoder sets them).
 */
export interface PassParams {
  cx: number;
  cy: number;
  l: number;
  M: number;
  /** closed square bounds, float32 (numpy >= 2 computes `centre - l/2` in float32) */
  loX: number;
  hiX: number;
  loY: number;
  hiY: number;
  shells: Float64Array;
}

/**
 * Pass 1 (spec §3.3) over pairs [p0, p1): out[0] += Σ inner coordinate errors, out[k] += Σ outer
 * coordinate errors with k shells (k = 1..M), out[M+1] += number of outer points. Writes the
 * nearest index of every inner pair to idx (pass 2 reuses it where its query is the same point).
 */
export function scanPairs(
  L: Lattice,
  X: Float32Array,
  p0: number,
  p1: number,
  q: PassParams,
  out: Float64Array,
  idx: Uint32Array,
): void {
  const T = L.T;
  const M = q.M;
  const W = M + 1;
  const cx = q.cx;
  const cy = q.cy;
  const half = q.l / 2;
  let innerSum = 0;
  let outerCount = 0;
  for (let i = p0; i < p1; i++) {
    const x = X[2 * i];
    const y = X[2 * i + 1];
    if (x >= q.loX && x <= q.hiX && y >= q.loY && y <= q.hiY) {
      const j = nearestLattice(L, x, y);
      idx[i] = j;
      innerSum += Math.abs(T[2 * j] - x) + Math.abs(T[2 * j + 1] - y);
      continue;
    }
    outerCount++;
    const dx = Math.fround(x - cx);
    const dy = Math.fround(y - cy);
    const dist = normF32(dx, dy);
    for (let k = 1; k <= M; k++) {
      let s = 1;
      while (s < k && !(dist <= q.shells[k * W + s])) s++; // argmax(dist <= d) + 1
      const f = half / q.shells[k * W + s];
      const j = nearestLattice(L, dx * f + cx, dy * f + cy);
      out[k] += Math.abs((T[2 * j] - cx) / f + cx - x) + Math.abs((T[2 * j + 1] - cy) / f + cy - y);
    }
  }
  out[0] += innerSum;
  out[M + 1] += outerCount;
}

/**
 * Pass 2 (spec §3.4) over pairs [p0, p1) with K shells: writes idx[i], and out[0] += Σ|recon − w|
 * over real values (the pad value at position `numel` is skipped), out[1] = max(out[1], idx).
 * Expects idx to hold pass 1's indices of the inner pairs (same n): with K = 0 every pair is
 * inner and keeps its index; with K > 0 an inner pair is searched at c + f32(w − c), which is
 * usually w itself, and then its pass-1 index is the answer.
 */
export function finalPairs(
  L: Lattice,
  X: Float32Array,
  p0: number,
  p1: number,
  q: PassParams,
  K: number,
  numel: number,
  idx: Uint32Array,
  out: Float64Array,
): void {
  const T = L.T;
  const n1 = L.n + 1;
  const cx = q.cx;
  const cy = q.cy;
  const half = q.l / 2;
  const base = K * (q.M + 1);
  let errSum = 0;
  let maxIdx = out[1];
  for (let i = p0; i < p1; i++) {
    const x = X[2 * i];
    const y = X[2 * i + 1];
    let code: number;
    let rx: number;
    let ry: number;
    if (K === 0) {
      const j = idx[i];
      code = j;
      rx = T[2 * j];
      ry = T[2 * j + 1];
    } else {
      const dx = Math.fround(x - cx);
      const dy = Math.fround(y - cy);
      let s = 0;
      if (!(x >= q.loX && x <= q.hiX && y >= q.loY && y <= q.hiY)) {
        const dist = normF32(dx, dy);
        // d[0] = l/2; d[s] = s·each + l/2; d[K] = F (shells[] holds the same values for k = K)
        while (s < K && !(dist <= (s === 0 ? half : q.shells[base + s]))) s++;
      }
      const f = s === 0 ? half / half : half / q.shells[base + s];
      const bx = dx * f + cx;
      const by = dy * f + cy;
      const j = s === 0 && bx === x && by === y ? idx[i] : nearestLattice(L, bx, by);
      code = j + n1 * s;
      if (s === 0) {
        rx = T[2 * j] - cx + cx; // == (T − c)/1 + c bit for bit, without two divisions
        ry = T[2 * j + 1] - cy + cy;
      } else {
        rx = (T[2 * j] - cx) / f + cx;
        ry = (T[2 * j + 1] - cy) / f + cy;
      }
    }
    idx[i] = code;
    if (code > maxIdx) maxIdx = code;
    errSum += Math.abs(rx - x);
    if (2 * i + 1 < numel) errSum += Math.abs(ry - y);
  }
  out[0] += errSum;
  out[1] = maxIdx;
}

/** One pass of the encoder over a tensor's pairs (built by encode.ts, run here or in a worker). */
export interface PassJob {
  kind: 'scan' | 'final';
  n: number;
  pass: PassParams;
  X: Float32Array;
  pairs: number;
  /** pass 1 writes the inner pairs' indices here, pass 2 all indices */
  idx: Uint32Array;
  /** final only */
  K?: number;
  numel?: number;
}

/** Values per chunk in a pass's result: M+2 sums (scan) or [Σ|error|, max index] (final). */
export function passStride(job: PassJob): number {
  return job.kind === 'scan' ? job.pass.M + 2 : 2;
}

/** Runs chunks [c0, c1) of `chunkPairs` pairs each; chunk c's results go to out[c·stride ...]. */
export function runPassChunks(job: PassJob, c0: number, c1: number, out: Float64Array, chunkPairs: number): void {
  const q = job.pass;
  const L = buildLattice(buildCodebook(job.n, q.l, q.cx, q.cy), job.n, q.l);
  const stride = passStride(job);
  for (let c = c0; c < c1; c++) {
    const p0 = c * chunkPairs;
    const p1 = Math.min(job.pairs, p0 + chunkPairs);
    const o = out.subarray(c * stride, (c + 1) * stride);
    if (job.kind === 'scan') scanPairs(L, job.X, p0, p1, q, o, job.idx);
    else finalPairs(L, job.X, p0, p1, q, job.K as number, job.numel as number, job.idx, o);
  }
}

/**
 * runPassChunks for a pool of threads sharing one job: each takes the next chunk from the shared
 * counter `next[0]` until all `chunks` are taken, so a thread slowed by other load takes fewer
 * (a fixed split made every pass wait for the slower core). Results land by chunk index, so the
 * sums and bytes do not depend on who ran what.
 */
export function runPassShared(
  job: PassJob,
  next: Int32Array,
  chunks: number,
  out: Float64Array,
  chunkPairs: number,
): void {
  const q = job.pass;
  const L = buildLattice(buildCodebook(job.n, q.l, q.cx, q.cy), job.n, q.l);
  const stride = passStride(job);
  for (let c = Atomics.add(next, 0, 1); c < chunks; c = Atomics.add(next, 0, 1)) {
    const p0 = c * chunkPairs;
    const p1 = Math.min(job.pairs, p0 + chunkPairs);
    const o = out.subarray(c * stride, (c + 1) * stride);
    if (job.kind === 'scan') scanPairs(L, job.X, p0, p1, q, o, job.idx);
    else finalPairs(L, job.X, p0, p1, q, job.K as number, job.numel as number, job.idx, o);
  }
}
