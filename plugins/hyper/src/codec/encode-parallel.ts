/**
 * Worker-thread driver of the encoder (spec §3.2's speed, issue: "worker threads for big tensors").
 *
 * The encoder (encode.ts) yields two heavy passes as jobs over fixed chunks of CHUNK_PAIRS pairs;
 * here the workers (encode-worker.ts) take a job's chunks one at a time from a shared counter
 * (kernel.ts runPassShared). The pairs, the index array and the per-chunk results live in
 * SharedArrayBuffers. Per-chunk sums are combined in chunk order by the encoder, so the bytes
 * equal encodeTensor's whatever the number of threads.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  CHUNK_PAIRS,
  chunkCount,
  encodeSteps,
  encodeTensor,
  runJobInline,
  type Allocator,
  type EncodeJob,
} from './encode.js';
import type { PassReply, PassRequest } from './encode-worker.js';
import { passStride } from './kernel.js';
import type { EncodedTensor, HyperSettings } from './types.js';

/** Tensors with fewer pairs are encoded on the calling thread (a round trip costs more). */
export const PARALLEL_MIN_PAIRS = 4 * CHUNK_PAIRS;

/**
 * Built (dist, bin/mc): the compiled encode-worker.js beside this file. Run from the TypeScript
 * source (ts-jest, coverage included), where no .js exists and Node loads no .ts, the worker first
 * registers ts-worker-loader.mjs, which transpiles encode-worker.ts and the modules it imports.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./encode-worker.js', import.meta.url));
  const loader = new URL('./ts-worker-loader.mjs', import.meta.url).href;
  const entry = new URL('./encode-worker.ts', import.meta.url).href;
  return new Worker(`require('node:module').register(${JSON.stringify(loader)}); import(${JSON.stringify(entry)});`, {
    eval: true,
  });
}

interface PoolWorker {
  worker: Worker;
  busy: boolean;
}

const pool: PoolWorker[] = [];

function getWorkers(count: number): PoolWorker[] {
  while (pool.length < count) {
    const worker = startWorker();
    worker.unref(); // an idle pool never keeps the process alive
    pool.push({ worker, busy: false });
  }
  return pool.slice(0, count);
}

/** Stops every encode worker (they are unref'd, so this is only needed to free them early). */
export async function shutdownEncodeWorkers(): Promise<void> {
  const all = pool.splice(0);
  await Promise.all(all.map((p) => p.worker.terminate()));
}

function runOn(p: PoolWorker, message: PassRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    p.busy = true;
    p.worker.ref(); // keep the process alive while a pass is in flight
    const done = (fn: () => void): void => {
      p.worker.off('message', onMessage);
      p.worker.off('error', onError);
      p.worker.unref();
      p.busy = false;
      fn();
    };
    const onMessage = (r: PassReply): void =>
      done(() => (r.ok ? resolve() : reject(new Error(`hyper encode worker: ${r.error}`))));
    const onError = (e: Error): void => done(() => reject(e));
    p.worker.on('message', onMessage);
    p.worker.on('error', onError);
    p.worker.postMessage(message);
  });
}

async function runJobParallel(job: EncodeJob, workers: PoolWorker[]): Promise<Float64Array> {
  const chunks = chunkCount(job.pairs);
  const stride = passStride(job);
  const out = new Float64Array(new SharedArrayBuffer(chunks * stride * 8));
  const next = new Int32Array(new SharedArrayBuffer(4)); // the next chunk to take (runPassShared)
  const used = workers.slice(0, Math.min(workers.length, chunks));
  await Promise.all(used.map((w) => runOn(w, { job, next, chunks, out, chunkPairs: CHUNK_PAIRS })));
  return out;
}

const sharedAllocator: Allocator = {
  floats: (n) => new Float32Array(new SharedArrayBuffer(4 * n)),
  indices: (n) => new Uint32Array(new SharedArrayBuffer(4 * n)),
};

/** Default worker count: every core (the calling thread only waits while they run). */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/**
 * encodeTensor on worker threads: byte-identical output. Small tensors (under `minPairs`, default
 * PARALLEL_MIN_PAIRS pairs) and threads <= 1 run on the calling thread. Calls may overlap: each
 * takes the idle workers.
 */
export async function encodeTensorParallel(
  name: string,
  w: Float32Array,
  settings: HyperSettings,
  options: { threads?: number; minPairs?: number } = {},
): Promise<EncodedTensor> {
  const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  const minPairs = options.minPairs ?? PARALLEL_MIN_PAIRS;
  if (threads <= 1 || Math.ceil(w.length / 2) < minPairs) return encodeTensor(name, w, settings);
  const steps = encodeSteps(name, w, settings, sharedAllocator);
  let r = steps.next();
  while (!r.done) {
    const workers = getWorkers(threads).filter((p) => !p.busy);
    const result = workers.length === 0 ? null : await runJobParallel(r.value, workers);
    // no idle worker (another call holds them all): run this pass here, same chunks, same sums
    r = steps.next(result ?? runJobInline(r.value));
  }
  return r.value;
}
