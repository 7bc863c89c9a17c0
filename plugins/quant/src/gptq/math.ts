/**
 * GPTQ (Frantar et al. 2022, arXiv 2210.17323; the reference is IST-DASLab/gptq `gptq.py`
 * `fasterquant`), spec quantization.md §5, as a pure function over typed arrays.
 *
 * A MatMul weight is [K, N] (K inputs, N outputs). GPTQ's W is its transpose [N, K] and walks the K
 * columns; here the weight stays [K, N] so that GPTQ's column j is the contiguous row j, and every
 * update is an axpy over N outputs.
 *
 * Choices the paper leaves open, named (STYLE.md §4):
 * - grid: spec §2, the same per-group scale / zero point rule as int4 RTN (bits generalised:
 *   sym qmax = 2^(b-1) - 1, codes q + 2^(b-1); asym 2^b - 1 levels over [min, max] widened to 0);
 *   rounding half to even.
 * - groups: without act-order a group's params come from the CURRENT (already updated) columns
 *   when the walk reaches its first column; with act-order they come from the original weight
 *   before the walk ("static groups" in the reference), so groups stay contiguous along K and the
 *   stored form needs no g_idx.
 * - the lazy-batch block is 128 columns, or the group size when larger, so a group never straddles
 *   a block and its params see every update made before it.
 * - a Hessian not positive definite after damping is retried with 10x the damping (reported).
 */
import type { FloatType } from '../grid/float-types.js';
import { codeOf, gridParams, type Scheme } from '../grid/params.js';
import { dequantValue } from '../int4/math.js';
import { prepareHessian } from '@mc-kit/core';

export type GptqBits = 2 | 3 | 4 | 8;

export interface GridOptions {
  readonly bits: GptqBits;
  readonly scheme: Scheme;
  /** weights per scale along K: a power of two */
  readonly groupSize: number;
  readonly scaleType?: FloatType;
}

export interface GptqOptions extends GridOptions {
  /** fraction of mean(diag H) added to the diagonal (reference percdamp, default 0.01) */
  readonly damp: number;
  /** walk columns by descending diag H */
  readonly actOrder: boolean;
  /** columns per lazy batch (default 128) */
  readonly blockSize?: number;
}

/** Codes and group params in MatMulNBits' row order: row n = output n, along K (int4's Int4Blocks layout). */
export interface GroupedCodes {
  readonly bits: GptqBits;
  readonly scheme: Scheme;
  readonly groupSize: number;
  readonly K: number;
  readonly N: number;
  readonly kBlocks: number;
  readonly scaleType: FloatType;
  /** [N, kBlocks * groupSize], 0 .. 2^bits - 1; padding holds the zero point */
  readonly codes: Uint8Array;
  /** [N, kBlocks] */
  readonly scales: Float32Array;
  /** [N, kBlocks]; symmetric: all 2^(bits-1) */
  readonly zeroPoints: Uint8Array;
}

export interface GptqResult extends GroupedCodes {
  /** the dequantized weight [K, N], float32 as onnxruntime computes it */
  readonly dequantized: Float32Array;
  /** input features with H[j][j] = 0 (never active in calibration): weights set to 0 */
  readonly deadColumns: number;
  /** the damping fraction that made H positive definite (options.damp unless it had to grow) */
  readonly dampUsed: number;
  /** the reference's loss: Σ (w - q)^2 / Hinv[j][j]^2 / 2 */
  readonly loss: number;
}

function emptyCodes(K: number, N: number, opts: GridOptions): GroupedCodes {
  const kBlocks = Math.ceil(K / opts.groupSize);
  return {
    bits: opts.bits,
    scheme: opts.scheme,
    groupSize: opts.groupSize,
    K,
    N,
    kBlocks,
    scaleType: opts.scaleType ?? 'float32',
    codes: new Uint8Array(N * kBlocks * opts.groupSize),
    scales: new Float32Array(N * kBlocks),
    zeroPoints: new Uint8Array(N * kBlocks),
  };
}

/** Set the params of group g for every output from rows [from, to) of w [K, N] (rows = K). */
function setGroup(out: GroupedCodes, w: Float64Array | Float32Array, g: number, rows: ArrayLike<number>): void {
  const { N } = out;
  for (let n = 0; n < N; n++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = 0; t < rows.length; t++) {
      const v = w[rows[t] * N + n];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const p = gridParams(lo, hi, out.bits, out.scheme, out.scaleType);
    out.scales[n * out.kBlocks + g] = p.scale;
    out.zeroPoints[n * out.kBlocks + g] = p.zp;
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Round to nearest on the same grid (the RTN baseline GPTQ is compared with), w [K, N]. */
export function rtnQuantize(
  w: ArrayLike<number>,
  K: number,
  N: number,
  opts: GridOptions,
): GroupedCodes & { dequantized: Float32Array } {
  const out = emptyCodes(K, N, opts);
  const wf = Float64Array.from(w);
  const padded = out.kBlocks * out.groupSize;
  const dequantized = new Float32Array(K * N);
  for (let g = 0; g < out.kBlocks; g++)
    setGroup(out, wf, g, range(g * out.groupSize, Math.min(K, (g + 1) * out.groupSize)));
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < padded; k++) {
      const g = n * out.kBlocks + Math.floor(k / out.groupSize);
      const c = k < K ? codeOf(wf[k * N + n], out.scales[g], out.zeroPoints[g], out.bits) : out.zeroPoints[g];
      out.codes[n * padded + k] = c;
      if (k < K) dequantized[k * N + n] = dequantValue(c, out.zeroPoints[g], out.scales[g], 'float32');
    }
  }
  return { ...out, dequantized };
}

/** Columns by descending diag H, ties by the lower index (deterministic). */
export function actOrderPermutation(H: Float64Array, K: number): Int32Array {
  const perm = Int32Array.from({ length: K }, (_, i) => i);
  return perm.sort((a, b) => H[b * K + b] - H[a * K + a] || a - b);
}

/** GPTQ of one weight w [K, N] (MatMul layout) against H = 2/n X^T X [K, K]. */
export function gptqQuantize(
  w: ArrayLike<number>,
  K: number,
  N: number,
  Hin: Float64Array,
  opts: GptqOptions,
): GptqResult {
  if (w.length !== K * N || Hin.length !== K * K)
    throw new RangeError(`gptq: weight of ${w.length} values / H of ${Hin.length} for K=${K}, N=${N}`);
  const out = emptyCodes(K, N, opts);
  const G = opts.groupSize;
  const padded = out.kBlocks * G;
  const prepared = prepareHessian(Hin, K, { damp: opts.damp, order: opts.actOrder ? actOrderPermutation : undefined });
  if (!prepared) throw new RangeError('the Hessian stays singular after raising the damping 10x five times');
  const { Hinv, dampUsed, deadCount: deadColumns, order: perm } = prepared;
  const W = Float64Array.from(w);
  for (let j = 0; j < K; j++) if (prepared.dead[j]) W.fill(0, j * N, (j + 1) * N);
  // Static groups (act-order): params from the weight before the walk, groups in K order.
  if (opts.actOrder) for (let g = 0; g < out.kBlocks; g++) setGroup(out, W, g, range(g * G, Math.min(K, (g + 1) * G)));
  let Wp: Float64Array = W;
  if (perm) {
    Wp = new Float64Array(K * N);
    for (let j = 0; j < K; j++) Wp.set(W.subarray(perm[j] * N, (perm[j] + 1) * N), j * N);
  }
  const orig = (j: number) => (perm ? perm[j] : j);
  const block = Math.max(opts.blockSize ?? 128, G);
  const dequantized = new Float32Array(K * N);
  const err = new Float64Array(block * N);
  let loss = 0;

  for (let i1 = 0; i1 < K; i1 += block) {
    const i2 = Math.min(K, i1 + block);
    for (let i = i1; i < i2; i++) {
      if (!perm && i % G === 0) setGroup(out, Wp, i / G, range(i, Math.min(K, i + G)));
      const col = orig(i);
      const gOff = Math.floor(col / G);
      const d = Hinv[i * K + i];
      const row = i * N;
      const e = (i - i1) * N;
      for (let n = 0; n < N; n++) {
        const g = n * out.kBlocks + gOff;
        const scale = out.scales[g];
        const zp = out.zeroPoints[g];
        const c = codeOf(Wp[row + n], scale, zp, out.bits);
        const q = dequantValue(c, zp, scale, 'float32');
        out.codes[n * padded + col] = c;
        dequantized[col * N + n] = q;
        const r = Wp[row + n] - q;
        loss += (r * r) / (d * d) / 2;
        err[e + n] = r / d;
      }
      // within the block: W[:, j] -= err * Hinv[i][j] for the block's later columns
      for (let j = i + 1; j < i2; j++) axpy(Wp, j * N, -Hinv[i * K + j], err, e, N);
    }
    // the block's errors to every later column at once (the lazy batch update)
    for (let j = i2; j < K; j++) for (let i = i1; i < i2; i++) axpy(Wp, j * N, -Hinv[i * K + j], err, (i - i1) * N, N);
  }
  for (let n = 0; n < N; n++)
    for (let k = K; k < padded; k++) out.codes[n * padded + k] = out.zeroPoints[n * out.kBlocks + Math.floor(k / G)];
  return { ...out, dequantized, deadColumns, dampUsed, loss };
}

/** y[yAt .. yAt+n) += a * x[xAt .. xAt+n) */
function axpy(y: Float64Array, yAt: number, a: number, x: Float64Array, xAt: number, n: number): void {
  if (a === 0) return;
  for (let t = 0; t < n; t++) y[yAt + t] += a * x[xAt + t];
}
