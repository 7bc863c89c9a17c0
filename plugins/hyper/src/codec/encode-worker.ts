/**
 * The encode worker thread: encode-parallel.ts starts this module and posts it one pass at a time;
 * it takes chunks from the shared counter with kernel.ts's runPassShared, the function the calling
 * thread runs too, so both paths share every flop.
 */
import { parentPort } from 'node:worker_threads';
import type { EncodeJob } from './encode.js';
import { runPassShared } from './kernel.js';

/** One pass over a job: `next` is the shared chunk counter, `out` the per-chunk results (shared memory). */
export interface PassRequest {
  readonly job: EncodeJob;
  readonly next: Int32Array;
  readonly chunks: number;
  readonly out: Float64Array;
  readonly chunkPairs: number;
}

export type PassReply = { readonly ok: true } | { readonly ok: false; readonly error: string };

const port = parentPort;
if (!port) throw new Error('encode-worker runs as a worker thread, started by encode-parallel');
port.on('message', (m: PassRequest) => {
  let reply: PassReply;
  try {
    runPassShared(m.job, m.next, m.chunks, m.out, m.chunkPairs);
    reply = { ok: true };
  } catch (e) {
    reply = { ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(reply);
});
