/**
 * The measuring child: `node child.js JOB.json` loads one model, runs it `warmup` + `runs` times on
 * the job's feeds and prints one Measurement as JSON. A process of its own per model, so that its
 * peak RSS is this model's alone (plus the runtime floor it reports as baseRssBytes), not whatever the
 * parent eval held before (the dataset, another model's session, the V8 heap of a long run).
 */
import { readFileSync } from 'node:fs';
import { loadOrt, OrtSessionFactory, type HostTensor } from '@mc-kit/core';
import type { Job, Measurement } from './protocol.js';

/** VmRSS / VmHWM from /proc (Linux); elsewhere what node offers (rss now, maxRSS for the peak). */
function rss(field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return field === 'VmRSS' ? process.memoryUsage().rss : process.resourceUsage().maxRSS * 1024;
}

const ARRAYS = {
  float32: Float32Array,
  float16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Job;
  const bytes = readFileSync(job.data);
  const feeds: Record<string, HostTensor> = {};
  for (const f of job.feeds) {
    const Array_ = ARRAYS[f.type];
    const copy = bytes.buffer.slice(bytes.byteOffset + f.byteOffset, bytes.byteOffset + f.byteOffset + f.byteLength);
    feeds[f.name] = { type: f.type, dims: f.dims, data: new Array_(copy) };
  }
  await loadOrt();
  const baseRssBytes = rss('VmRSS');
  const factory = new OrtSessionFactory({ device: job.device });
  const t0 = performance.now();
  const session = await factory.create(job.model, job.threads ? { intraOpThreads: job.threads } : {});
  const startMs = performance.now() - t0;
  for (let i = 0; i < job.warmup; i++) await session.run(feeds);
  const runsMs: number[] = [];
  for (let i = 0; i < job.runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    runsMs.push(performance.now() - t);
  }
  const peakRssBytes = rss('VmHWM');
  const device = session.device;
  await session.release();
  const out: Measurement = { startMs, runsMs, baseRssBytes, peakRssBytes, device };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e: unknown) => {
  // one line for the parent to show; a code when core gave one
  const err = e as { code?: string; message?: string };
  process.stderr.write(`${JSON.stringify({ code: err.code, message: err.message ?? String(e) })}\n`);
  process.exit(1);
});
