/**
 * mc worker: take jobs from one queue and run them until told to stop.
 *
 * - a job of an unknown kind, with fields its kind does not take, or that the planners refuse, and a
 *   job that fails with a user error (a missing file, a bad parameter), fails at once with its
 *   message: BullMQ's UnrecoverableError, so it is not retried;
 * - anything else (a crash, our bug, a full disk) fails this attempt; BullMQ retries it up to the
 *   attempts the coordinator set on the job;
 * - stop (SIGINT/SIGTERM, the RunContext's signal): no new job is taken; a running job stops after
 *   its current step and is moved back to the waiting list, for this or another worker. A worker
 *   killed outright (SIGKILL, a lost machine) stops renewing its job's lock, and BullMQ's stalled-job
 *   check hands the job to another worker after the lock expires.
 */
import { ErrorCodes, isMcError, isUserError, type Registry, type RunContext } from '@mc-kit/core';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { redactQueueUrl, type QueueConnection } from './connection.js';
import { progressToQueue } from './job-progress.js';
import type { JobEnvelope, JobKinds } from './kinds.js';
import { announcedQueues, QUEUE_PREFIX } from './naming.js';

export interface WorkerOptions {
  readonly connection: QueueConnection;
  /** one queue (--name), or undefined: every announced mc queue, oldest first, one at a time */
  readonly queue?: string;
  readonly concurrency: number;
  /** how long a job's lock lives without renewal: a killed worker's job is handed on after about this (BullMQ default 30 s) */
  readonly lockDurationMs?: number;
  /** how often this worker looks for stalled jobs (BullMQ default 30 s) */
  readonly stalledIntervalMs?: number;
  readonly kinds: JobKinds;
  readonly registry: Registry;
  /** the worker's own context: its signal stops the worker; logs and progress go to its stderr */
  readonly ctx: RunContext;
}

export interface WorkerSummary {
  readonly completed: number;
  readonly failed: number;
  /** jobs handed back to the queue because the worker was stopping */
  readonly returned: number;
}

export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const { ctx, kinds, registry } = options;
  const counts = { completed: 0, failed: 0, returned: 0 };
  const processor = async (job: Job, token?: string): Promise<unknown> => {
    const started = performance.now();
    const tag = `job ${job.id} (${job.name})`;
    try {
      const { kind, data } = kinds.accept(job.name, job.data, registry);
      const envelope = data as JobEnvelope;
      ctx.log.info(`${tag}: started${job.attemptsStarted > 1 ? ` (attempt ${job.attemptsStarted})` : ''}`);
      const run: RunContext = {
        ...ctx,
        ...(envelope.invocation ? { invocation: envelope.invocation } : {}),
        progress: progressToQueue(ctx.progress, (p) => job.updateProgress(p)),
      };
      const value = await kind.run(data, { registry, run, queue: job.queueName, jobId: String(job.id) });
      counts.completed++;
      ctx.log.info(`${tag}: done in ${((performance.now() - started) / 1000).toFixed(1)}s`);
      return value;
    } catch (e) {
      if (ctx.signal.aborted && isMcError(e) && e.code === ErrorCodes.ABORTED) {
        // stopping: the job goes back to the waiting list whole, for the next worker
        await job.moveToWait(token);
        counts.returned++;
        ctx.log.info(`${tag}: returned to the queue (this worker is stopping)`);
        throw new WaitingError();
      }
      counts.failed++;
      const message = redactQueueUrl(e instanceof Error ? e.message : String(e));
      if (isUserError(e)) {
        ctx.log.warn(`${tag}: failed, not retried: ${message}`);
        throw new UnrecoverableError(`${e.code}: ${message}${e.hint ? ` (${e.hint})` : ''}`);
      }
      ctx.log.warn(`${tag}: failed (attempt ${job.attemptsStarted} of ${job.opts.attempts ?? 1}): ${message}`);
      throw new Error(message, { cause: e }); // the queue keeps the message and stack: redacted, as everything shown
    }
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      ctx.signal.addEventListener('abort', done, { once: true });
    });
  ctx.log.info(
    `worker: waiting for jobs on ${options.connection.display} ${options.queue ? `queue ${options.queue}` : 'every mc queue'} (concurrency ${options.concurrency}; kinds: ${kinds.names().join(', ')})`,
  );
  const directory = new Redis({ ...options.connection.options, lazyConnect: true, disconnectTimeout: 0 });
  directory.on('error', () => {}); // reported by the BullMQ worker's own connection
  try {
    while (!ctx.signal.aborted) {
      // --name: that queue, for good; otherwise the oldest announced queue with work, until it has none
      const name = options.queue ?? (await queueWithWork(directory));
      if (name) await serveQueue(name, !options.queue, options, processor, sleep);
      else await sleep(POLL_MS);
    }
  } finally {
    directory.disconnect();
  }
  return counts;
}

const POLL_MS = 2000;

/** The oldest announced queue that has jobs waiting, delayed or active (an active one may be stalled: someone must watch it). */
async function queueWithWork(redis: Redis): Promise<string | undefined> {
  for (const name of await announcedQueues(redis)) {
    const queue = new Queue(name, { connection: redis, prefix: QUEUE_PREFIX }); // shares the connection
    const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
    await queue.close();
    if (Object.values(c).some((n) => n > 0)) return name;
  }
  return undefined;
}

/** Run one queue's jobs; with `untilIdle`, give it up once it has nothing waiting, delayed or running. */
async function serveQueue(
  name: string,
  untilIdle: boolean,
  options: WorkerOptions,
  processor: (job: Job, token?: string) => Promise<unknown>,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const { ctx } = options;
  const worker = new Worker(name, processor, {
    connection: options.connection.options,
    prefix: QUEUE_PREFIX,
    concurrency: options.concurrency,
    ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
  });
  worker.on('error', (e) => ctx.log.warn(`queue ${name}: ${redactQueueUrl(e.message)}`));
  const queue = new Queue(name, { connection: options.connection.options, prefix: QUEUE_PREFIX });
  if (untilIdle) ctx.log.info(`worker: serving queue ${name}`);
  try {
    while (!ctx.signal.aborted) {
      await sleep(POLL_MS);
      if (!untilIdle || ctx.signal.aborted) continue;
      const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
      if (Object.values(c).every((n) => n === 0)) break;
    }
    if (ctx.signal.aborted)
      ctx.log.info('worker: stopping (a running job goes back to the queue after its current step)');
  } finally {
    await worker.close(); // waits for running jobs: each completes, or (stopping) moves itself back to wait
    await queue.close();
  }
}
