/** One model measured in a child process (child.ts): the feeds written beside a job file, the child's Measurement read back. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BugError, ErrorCodes, UserError, type HostTensor, type RunContext } from '@mc-kit/core';
import type { FeedEntry, Job, Measurement } from './protocol.js';

/** dist/child.js, from src/ (tests) and dist/ alike. */
const CHILD = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'child.js');

export interface MeasureOptions {
  readonly runs: number;
  readonly warmup: number;
  readonly threads?: number;
}

export async function measure(
  modelPath: string,
  ref: string,
  feeds: Record<string, HostTensor>,
  options: MeasureOptions,
  ctx: RunContext,
): Promise<Measurement> {
  if (!existsSync(CHILD))
    throw new BugError(`the latency plugin's child script ${CHILD} is missing: build the plugin (npm run build)`);
  const dir = mkdtempSync(join(tmpdir(), 'mc-latency-'));
  try {
    const entries: FeedEntry[] = [];
    const parts: Uint8Array[] = [];
    let offset = 0;
    for (const [name, t] of Object.entries(feeds)) {
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      entries.push({ name, type: t.type, dims: t.dims, byteOffset: offset, byteLength: bytes.byteLength });
      parts.push(bytes);
      offset += bytes.byteLength;
    }
    const data = join(dir, 'feeds.bin');
    writeFileSync(data, Buffer.concat(parts));
    const job: Job = {
      model: modelPath,
      device: ctx.sessions.requested,
      threads: options.threads,
      runs: options.runs,
      warmup: options.warmup,
      data,
      feeds: entries,
    };
    const jobFile = join(dir, 'job.json');
    writeFileSync(jobFile, JSON.stringify(job));
    const { stdout, stderr, failed } = await new Promise<{ stdout: string; stderr: string; failed: boolean }>(
      (resolve) => {
        execFile(
          process.execPath,
          [CHILD, jobFile],
          { signal: ctx.signal, maxBuffer: 64 * 1024 * 1024 },
          (e, out, err) => resolve({ stdout: String(out), stderr: String(err), failed: e !== null }),
        );
      },
    );
    ctx.signal.throwIfAborted?.();
    if (failed) throw childError(stderr, ref);
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as Measurement;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The child's last stderr line is {code, message}: a user's problem keeps its code; anything else is the model failing to run. */
function childError(stderr: string, ref: string): Error {
  let parsed: { code?: string; message?: string } = {};
  try {
    parsed = JSON.parse(stderr.trim().split('\n').pop() ?? '{}') as typeof parsed;
  } catch {
    parsed = { message: stderr.trim().split('\n').pop() };
  }
  const message = (parsed.message ?? 'no message').split('\n')[0];
  const code = Object.values(ErrorCodes).find((c) => c === parsed.code) ?? ErrorCodes.BAD_MODEL;
  return new UserError(code, `latency: ${ref} did not run: ${message}`, {
    hint: 'check that the model runs at all (mc inspect), and with --dataset that it takes that data',
  });
}
