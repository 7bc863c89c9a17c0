/**
 * mc sweep --queue: the same sweep as the local loop, with its points run by workers.
 *
 * Plan every point (planSweep: every mistake before any work), check Redis answers, evaluate the
 * dense model here (the reference of every delta; a metric or dataset problem shows before anything
 * is enqueued), enqueue one 'sweep-point' job per point (jobId = the point's index: adding it again
 * is a no-op), follow the jobs until each has completed or failed for good, then write every
 * point's results under --results and the summary under --out, once, from the jobs' return values.
 *
 * Results are written only when every point is done, so a restarted coordinator (--resume), which
 * collects the same return values from Redis, records each point exactly once. Once written, the
 * queue is removed.
 */
import {
  ErrorCodes,
  UserError,
  evaluateSweepDense,
  throwIfAborted,
  planSweep,
  summarizeSweep,
  writeResult,
  type EvalResult,
  type Registry,
  type Report,
  type RunContext,
  type SweepRequest,
  type SweepRow,
} from '@mc-kit/core';
import { Queue, type Job } from 'bullmq';
import { assertReachable, type QueueConnection } from './connection.js';
import { isJobProgress } from './job-progress.js';
import type { SweepPointJob, SweepPointOutcome } from './kinds/sweep-point.js';
import { sweepPointKind } from './kinds/sweep-point.js';
import { announceQueue, QUEUE_PREFIX, retireQueue, sweepQueueName } from './naming.js';

export interface QueuedSweepOptions {
  readonly connection: QueueConnection;
  /** --name; default: mc-sweep-<hash of the request> */
  readonly name?: string;
  /** re-attach to this sweep's jobs (done points are not run again; failed ones are retried) */
  readonly resume: boolean;
  /** tries per point: a crash is retried, a user error is not */
  readonly attempts: number;
  /** how often the jobs' states are read */
  readonly pollMs?: number;
}

export interface QueuedSweepResult {
  readonly queue: string;
  readonly rows: SweepRow[];
  readonly report: Report;
}

type PointJob = Job<SweepPointJob, SweepPointOutcome>;

export async function runQueuedSweep(
  registry: Registry,
  request: SweepRequest,
  options: QueuedSweepOptions,
  ctx: RunContext,
): Promise<QueuedSweepResult> {
  const plans = planSweep(registry, request);
  const name = options.name ?? sweepQueueName(request);
  await assertReachable(options.connection);
  const queue = new Queue<SweepPointJob, SweepPointOutcome>(name, {
    connection: options.connection.options,
    prefix: QUEUE_PREFIX,
  });
  queue.on('error', () => {}); // the awaited calls report it
  try {
    const existing = Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
    if (existing > 0 && !options.resume)
      throw new UserError(
        ErrorCodes.TARGET_EXISTS,
        `queue ${name} on ${options.connection.display} already holds this sweep's jobs`,
        {
          hint: 'add --resume to re-attach to them, or give --name for a separate queue',
        },
      );
    ctx.log.info(`sweep: the dense model`);
    const dense = await evaluateSweepDense(registry, request, ctx);
    const client = await queue.client;
    await announceQueue(client as never, name);
    await queue.addBulk(
      plans.map((plan) => ({
        name: sweepPointKind.name,
        data: { request, point: plan.index, ...(ctx.invocation ? { invocation: ctx.invocation } : {}) },
        opts: {
          jobId: String(plan.index),
          attempts: options.attempts,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
    if (options.resume) await retryFailed(queue, plans.length, ctx);
    ctx.log.info(
      `sweep: ${plans.length} points on ${options.connection.display}, queue ${name} (start workers with: mc worker --queue <url>)`,
    );
    const jobs = await follow(queue, plans.length, options.pollMs ?? 1000, ctx);
    const failed = jobs.filter((j) => j.state === 'failed');
    if (failed.length) {
      const first = failed[0];
      throw new UserError(
        ErrorCodes.BAD_JOB,
        `${failed.length} of ${plans.length} sweep points failed; point ${plans[Number(first.job.id)].label}: ${first.job.failedReason}`,
        {
          hint: `nothing was written; fix it and run the same command with --resume (queue ${name}): done points are kept`,
        },
      );
    }
    const denseResult = { result: dense, path: await writeResult(request.results, dense) };
    const points = [];
    for (const { job } of jobs) {
      const plan = plans[Number(job.id)];
      const { compress, eval: measured } = job.returnvalue;
      const e: EvalResult = {
        ...measured,
        baseline: dense.model,
        metric: { ...measured.metric, baselineValues: dense.metric.values },
      };
      const paths = [await writeResult(request.results, compress), await writeResult(request.results, e)];
      points.push({ plan, compress, eval: e, paths });
    }
    const { rows, report } = await summarizeSweep(request, denseResult, points);
    await queue.obliterate({ force: true });
    await retireQueue(client as never, name);
    return { queue: name, rows, report };
  } finally {
    await queue.close();
  }
}

async function retryFailed(queue: Queue<SweepPointJob, SweepPointOutcome>, count: number, ctx: RunContext) {
  for (let i = 0; i < count; i++) {
    const job = await queue.getJob(String(i));
    if (job && (await job.getState()) === 'failed') {
      ctx.log.info(`sweep: point ${i + 1} failed before (${job.failedReason}); trying it again`);
      await job.retry('failed');
    }
  }
}

/** Poll until every job has completed or failed for good; show done / running / failed and an ETA meanwhile. */
async function follow(
  queue: Queue<SweepPointJob, SweepPointOutcome>,
  count: number,
  pollMs: number,
  ctx: RunContext,
): Promise<{ job: PointJob; state: 'completed' | 'failed' }[]> {
  const task = ctx.progress.start('sweep points', count);
  let shown = 0;
  for (;;) {
    const jobs = await Promise.all(Array.from({ length: count }, (_, i) => queue.getJob(String(i))));
    const states = await Promise.all(jobs.map((j) => j?.getState() ?? 'unknown'));
    const done = states.filter((s) => s === 'completed').length;
    const failed = states.filter((s) => s === 'failed').length;
    const running = jobs.filter((j, i) => states[i] === 'active' && j);
    const stage = running
      .map((j) => (isJobProgress(j!.progress) ? `#${Number(j!.id) + 1} ${j!.progress.stage}` : `#${Number(j!.id) + 1}`))
      .join('; ');
    // the task adds done/total and the ETA from the rate of done points
    task.update(`sweep points: ${running.length} running, ${failed} failed${stage ? ` (${stage})` : ''}`);
    if (done > shown) {
      task.tick(done - shown);
      shown = done;
    }
    if (done + failed === count) {
      if (failed) task.fail(`sweep points: ${done} done, ${failed} failed`);
      else task.done(`sweep points: ${done} done`);
      return jobs.map((job, i) => ({ job: job as PointJob, state: states[i] as 'completed' | 'failed' }));
    }
    if (ctx.signal.aborted) {
      task.fail('sweep: interrupted; the jobs stay queued (run the same command with --resume)');
      throwIfAborted(ctx.signal);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
