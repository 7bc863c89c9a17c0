/**
 * The hyperfunction encoder exactly as the reference (spec §1–§5, `compress_decom_v3`).
 *
 * The encoder is written once, as a generator that yields the two heavy passes as jobs over
 * fixed chunks of CHUNK_PAIRS pairs; a driver runs them. encodeTensor runs them inline;
 * encode-parallel.ts runs the chunks on worker threads. Per-chunk sums are combined here in chunk
 * order, so both drivers give the same floats, the same K and the same bytes.
 */
import { ErrorCodes, UserError } from '@mc-kit/core';
import { chooseAutoL } from './auto-l.js';
import { indexBits, packIndices } from './bits.js';
import { chooseShells, heapAllocator, pairGeometry, passParams, type Allocator } from './geometry.js';
import { passStride, runPassChunks, type PassJob } from './kernel.js';
import { resolveSettings, type ResolvedSettings } from './settings.js';
import { MIN_COMPRESS_ELEMENTS, type EncodedTensor, type HyperSettings } from './types.js';

export {
  heapAllocator,
  pairGeometry,
  passParams,
  chooseShells,
  type Allocator,
  type PairGeometry,
} from './geometry.js';

/** Pairs per chunk: the unit of work of both drivers and of the error sums. */
export const CHUNK_PAIRS = 8192;

/** Pass 1: result has M+2 sums per chunk (see scanPairs). */
export interface ScanJob extends PassJob {
  kind: 'scan';
}
/** Pass 2: fills idx; result has [Σ|error|, max index] per chunk. */
export interface FinalJob extends PassJob {
  kind: 'final';
  K: number;
  numel: number;
}
export type EncodeJob = ScanJob | FinalJob;

export function chunkCount(pairs: number): number {
  return Math.ceil(pairs / CHUNK_PAIRS);
}

/** Runs a whole job on this thread. */
export function runJobInline(job: EncodeJob): Float64Array {
  const chunks = chunkCount(job.pairs);
  const out = new Float64Array(chunks * passStride(job));
  runPassChunks(job, 0, chunks, out, CHUNK_PAIRS);
  return out;
}

/** Rejects NaN and ±Inf with the tensor's name: they have no nearest codebook point. */
export function assertFinite(name: string, w: Float32Array): void {
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) {
      throw new UserError(ErrorCodes.BAD_MODEL, `hyper: tensor "${name}" holds ${w[i]} at element ${i}`, {
        hint: 'fix the model, or leave this tensor out with --exclude',
      });
    }
  }
}

/** The encoder as a sequence of jobs; `return`s the encoded tensor. */
export function* encodeSteps(
  name: string,
  w: Float32Array,
  settings: HyperSettings,
  alloc: Allocator = heapAllocator,
): Generator<EncodeJob, EncodedTensor, Float64Array> {
  const s: ResolvedSettings = resolveSettings(settings);
  const numel = w.length;
  if (numel < MIN_COMPRESS_ELEMENTS) return { kind: 'raw', name, numel, reason: 'too-small' };
  assertFinite(name, w);
  const g = pairGeometry(w, alloc);
  const l = s.l === 'auto' ? chooseAutoL(g, s) : s.l;
  const pass = passParams(g.cx, g.cy, l, s.M, g.F);
  const idx = alloc.indices(g.pairs);
  let nIndex = 0;
  let K = -1;
  for (; nIndex < s.U.length; nIndex++) {
    const sums = yield { kind: 'scan', n: s.U[nIndex], pass, X: g.X, pairs: g.pairs, idx };
    const choice = chooseShells(sums, s.M, g.pairs, s.lossThreshold);
    K = choice.K;
    if (!(choice.loss > s.lossMax && nIndex !== s.U.length - 1)) break;
  }
  if (K < 0) return { kind: 'raw', name, numel, reason: 'no-fit' };
  const n = s.U[nIndex];
  const res = yield { kind: 'final', n, pass, X: g.X, pairs: g.pairs, K, numel, idx };
  let errSum = 0;
  let maxIdx = 0;
  for (let c = 0; c < res.length; c += 2) {
    errSum += res[c];
    maxIdx = Math.max(maxIdx, res[c + 1]);
  }
  const mae = errSum / numel;
  if (s.maxMae !== null && mae > s.maxMae) return { kind: 'raw', name, numel, reason: 'mae-limit', mae };
  const bits = indexBits(maxIdx);
  const { bytes, nz } = packIndices(idx, bits);
  return {
    kind: 'hyper',
    name,
    numel,
    pairs: g.pairs,
    pad: g.pad,
    nIndex,
    n,
    K,
    l,
    cx: g.cx,
    cy: g.cy,
    fx: g.X[2 * g.far],
    fy: g.X[2 * g.far + 1],
    bits,
    nz,
    bytes,
    mae,
  };
}

/** Runs a job sequence to its end with `run` as the driver. */
export function driveSync<T>(steps: Generator<EncodeJob, T, Float64Array>, run: (job: EncodeJob) => Float64Array): T {
  let r = steps.next();
  while (!r.done) r = steps.next(run(r.value));
  return r.value;
}

/** Encodes one tensor on this thread (spec §8.3). */
export function encodeTensor(name: string, w: Float32Array, settings: HyperSettings): EncodedTensor {
  return driveSync(encodeSteps(name, w, settings), runJobInline);
}
