/**
 * runWorker on a real redis-server with toy job kinds: what fails once, what is retried, what is
 * refused before it runs, and a stop that hands the running job back.
 */
import {
  createRunContext,
  ErrorCodes,
  OrtSessionFactory,
  throwIfAborted,
  UserError,
  type AbortReason,
} from '@mc-kit/core';
import { Queue, type Job } from 'bullmq';
import { redisProblem, startRedis, type RedisServer } from '../../../test/helpers/redis.js';
import { parseQueueUrl } from './connection.js';
import { JobKinds, type JobKind } from './kinds.js';
import { QUEUE_PREFIX } from './naming.js';
import { runWorker, type WorkerSummary } from './worker.js';

const problem = redisProblem();
if (problem) console.warn(`SKIPPED the worker tests: ${problem}`);

const slowStarted: string[] = [];
const schema = (props: object) => ({
  type: 'object',
  properties: props,
  required: Object.keys(props),
  additionalProperties: false,
});
const kinds = new JobKinds([
  {
    name: 'echo',
    summary: 'returns x + 1',
    schema: schema({ x: { type: 'integer' } }),
    check(data: { x: number }) {
      if (data.x < 0) throw new UserError(ErrorCodes.BAD_PARAM, 'x must be >= 0');
    },
    run: async (data: { x: number }) => ({ y: data.x + 1 }),
  } satisfies JobKind<{ x: number }>,
  {
    name: 'user-error',
    summary: 'fails as a user mistake would',
    schema: schema({}),
    check() {},
    run: () => Promise.reject(new UserError(ErrorCodes.FILE_NOT_FOUND, 'no such file: /data/missing.jsonl')),
  } satisfies JobKind<object>,
  {
    name: 'crash',
    summary: 'fails as a bug would',
    schema: schema({}),
    check() {},
    run: () => Promise.reject(new Error('segfault-like crash')),
  } satisfies JobKind<object>,
  {
    name: 'slow',
    summary: 'steps until stopped',
    schema: schema({}),
    check() {},
    async run(_data, { run, jobId }) {
      slowStarted.push(jobId);
      for (;;) {
        throwIfAborted(run.signal);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  } satisfies JobKind<object>,
]);

async function settled(queue: Queue, ids: string[], timeoutMs = 30_000): Promise<Job[]> {
  const t0 = performance.now();
  for (;;) {
    const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
    const states = await Promise.all(jobs.map((j) => j!.getState()));
    if (states.every((s) => s === 'completed' || s === 'failed')) return jobs as Job[];
    if (performance.now() - t0 > timeoutMs) throw new Error(`jobs not settled: ${states.join(',')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

(problem ? describe.skip : describe)('runWorker on a real redis-server', () => {
  let redis: RedisServer;
  const open: { close(): Promise<void> }[] = []; // closed even when a test fails, so nothing reconnects to a stopped server
  const stops: (() => void)[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const stop of stops) stop();
    await Promise.all(open.map((q) => q.close()));
    await redis?.stop();
  });
  const queueAt = (db: number, name: string) => {
    const queue = new Queue(name, { connection: parseQueueUrl(redis.url(db)).options, prefix: QUEUE_PREFIX });
    open.push(queue);
    return queue;
  };

  function start(db: number, queueName: string) {
    const abort = new AbortController();
    const ctx = createRunContext({
      json: true,
      sessions: new OrtSessionFactory({ device: 'cpu' }),
      signal: abort.signal,
    });
    const done: Promise<WorkerSummary> = runWorker({
      connection: parseQueueUrl(redis.url(db)),
      queue: queueName,
      concurrency: 2,
      kinds,
      registry: undefined as never, // the toy kinds use no registry
      ctx,
    });
    const stop = () => abort.abort({ signal: 'SIGTERM', exitCode: 143 } satisfies AbortReason);
    stops.push(stop);
    return { stop, done };
  }

  it('runs a good job; fails a user error, an unknown kind and an extra field once, with their messages; retries a crash up to its attempts', async () => {
    const queue = queueAt(1, 'faults');
    const opts = (jobId: string) => ({ jobId, attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    await queue.add('echo', { x: 41 }, opts('good'));
    await queue.add('user-error', {}, opts('user'));
    await queue.add('crash', {}, opts('crash'));
    await queue.add('shell', { command: 'rm -rf /' }, opts('unknown'));
    await queue.add('echo', { x: 1, plugin: 'evil-package' }, opts('extra'));
    await queue.add('echo', { x: -1 }, opts('refused'));
    const worker = start(1, 'faults');
    const [good, user, crash, unknown, extra, refused] = await settled(queue, [
      'good',
      'user',
      'crash',
      'unknown',
      'extra',
      'refused',
    ]);
    worker.stop();
    expect(await worker.done).toEqual({ completed: 1, failed: 7, returned: 0 });
    expect(good.returnvalue).toEqual({ y: 42 });
    expect(good.attemptsMade).toBe(1);
    for (const [job, reason] of [
      [user, /^E_FILE_NOT_FOUND: no such file: \/data\/missing\.jsonl/],
      [unknown, /^E_BAD_JOB: job kind "shell" is not one mc runs/],
      [extra, /^E_BAD_JOB: echo job: data has a field it does not take: "plugin"/],
      [refused, /^E_BAD_PARAM: x must be >= 0/],
    ] as const) {
      expect(await job.getState()).toBe('failed');
      expect(job.failedReason).toMatch(reason);
      expect(job.attemptsMade).toBe(1); // not retried, though attempts is 3
    }
    expect(await crash.getState()).toBe('failed');
    expect(crash.failedReason).toBe('segfault-like crash');
    expect(crash.attemptsMade).toBe(3);
  });

  it('stopping hands the running job back to the waiting list, whole', async () => {
    const queue = queueAt(2, 'stop');
    await queue.add('slow', {}, { jobId: 'long', attempts: 1 });
    const worker = start(2, 'stop');
    while (!slowStarted.includes('long')) await new Promise((r) => setTimeout(r, 50));
    expect(await (await queue.getJob('long'))!.getState()).toBe('active');
    worker.stop();
    expect(await worker.done).toEqual({ completed: 0, failed: 0, returned: 1 });
    const job = (await queue.getJob('long'))!;
    expect(await job.getState()).toBe('waiting');
    expect(job.failedReason).toBeUndefined();
  });
});
