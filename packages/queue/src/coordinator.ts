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
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ErrorCodes,
  UserError,
  evaluateSweepDense,
  isHubRef,
  openSweepOut,
  planSweep,
  summarizeSweep,
  withDenseBaseline,
  writeResult,
  type Registry,
  type Report,
  type RunContext,
  type SweepPointOutcome as CorePointOutcome,
  type SweepRequest,
  type SweepOut,
  type SweepRow,
  type SweepSummaryWriter,
} from '@mc-kit/core';
import { Queue, type Job } from 'bullmq';
import { assertReachable, type QueueConnection } from './connection.js';
import { followJobs } from './follow-jobs.js';
import type { SweepPointJob, SweepPointReturn } from './kinds/sweep-point.js';
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

type PointJob = Job<SweepPointJob, SweepPointReturn>;

/** A point's job id: its index, fixed, so adding it again is a no-op (BullMQ refuses ids that are bare integers). */
export function pointJobId(index: number): string {
  return `point-${index}`;
}

export async function runQueuedSweep(
  registry: Registry,
  request: SweepRequest,
  options: QueuedSweepOptions,
  ctx: RunContext,
  writeSummary: SweepSummaryWriter,
): Promise<QueuedSweepResult> {
  const shared = withAbsolutePaths(request); // a worker's working folder is not ours
  const plans = planSweep(registry, shared);
  const name = options.name ?? sweepQueueName(shared);
  await assertReachable(options.connection);
  const queue = new Queue(name, {
    connection: options.connection.options,
    prefix: QUEUE_PREFIX,
  });
  queue.on('error', () => {}); // the awaited calls report it
  let out: SweepOut | undefined;
  try {
    // before --out: a stopped sweep's folder is in use, and the way back is --resume
    const existing = Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0);
    if (existing > 0 && !options.resume)
      throw new UserError(
        ErrorCodes.TARGET_EXISTS,
        `queue ${name} on ${options.connection.display} already holds this sweep's jobs`,
        { hint: 'add --resume to re-attach to them, or give --name for a separate queue' },
      );
    out = await openSweepOut(shared, shared.dataset, { resume: options.resume });
    await out.create();
    ctx.log.info('sweep: the dense model');
    const dense = await evaluateSweepDense(registry, shared, ctx);
    await announceQueue(options.connection, name);
    await queue.addBulk(
      plans.map((plan) => ({
        name: sweepPointKind.name,
        data: { request: shared, point: plan.index, ...(ctx.invocation ? { invocation: ctx.invocation } : {}) },
        opts: {
          jobId: pointJobId(plan.index), // added again (--resume): the existing job stays as it is
          attempts: options.attempts,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
    if (options.resume) await retryFailed(queue, plans.length, ctx);
    ctx.log.info(
      `sweep: ${plans.length} points queued on ${options.connection.display} as ${name}; workers: mc worker --queue <url>`,
    );
    const jobs = await followJobs<PointJob>(
      queue,
      plans.map((_, i) => pointJobId(i)),
      {
        label: 'sweep points',
        ordinal: (j) => j.data.point + 1,
        interrupted: 'sweep: interrupted; the jobs stay queued (run the same command with --resume)',
      },
      options.pollMs ?? 1000,
      ctx,
    );
    const failed = jobs.filter((j) => j.state === 'failed');
    if (failed.length) {
      const first = failed[0].job;
      throw new UserError(
        ErrorCodes.BAD_JOB,
        `${failed.length} of ${plans.length} sweep points failed; point ${plans[first.data.point].label}: ${first.failedReason}`,
        { hint: `no result was written; fix it and run the same command with --resume: done points are kept` },
      );
    }
    const densePath = await writeResult(shared.results, dense);
    const points: CorePointOutcome[] = [];
    for (const { job } of jobs) {
      const { compress, eval: measured } = job.returnvalue;
      const e = withDenseBaseline(measured, dense);
      const paths = [await writeResult(shared.results, compress), await writeResult(shared.results, e)];
      points.push({ plan: plans[job.data.point], compress, eval: e, paths });
    }
    const summary = await summarizeSweep(shared, { result: dense, path: densePath }, points, writeSummary);
    await queue.obliterate({ force: true }); // every point is recorded: a --resume now would start afresh
    await retireQueue(options.connection, name);
    return { queue: name, ...summary };
  } catch (e) {
    out?.removeIfEmpty();
    throw e;
  } finally {
    await queue.close();
    await out?.release();
  }
}

/** The request with every local path made absolute (hf: references stay), as every worker must read it on a shared filesystem. */
export function withAbsolutePaths(request: SweepRequest): SweepRequest {
  const local = (p: string) => (isHubRef(p) ? p : resolve(p));
  const recipe = request.sweep.endsWith('.json') || existsSync(request.sweep);
  return {
    ...request,
    model: local(request.model),
    ...(request.dataset !== undefined ? { dataset: local(request.dataset) } : {}),
    ...(request.calibration
      ? { calibration: { ...request.calibration, dataset: local(request.calibration.dataset) } }
      : {}),
    ...(request.probeDataset !== undefined ? { probeDataset: local(request.probeDataset) } : {}),
    ...(recipe ? { sweep: resolve(request.sweep) } : {}),
    out: resolve(request.out),
    results: resolve(request.results),
  };
}

async function retryFailed(queue: Queue, count: number, ctx: RunContext) {
  for (let i = 0; i < count; i++) {
    const job = await queue.getJob(pointJobId(i));
    if (job && (await job.getState()) === 'failed') {
      ctx.log.info(`sweep: point ${i + 1} failed before (${job.failedReason}); trying it again`);
      await job.retry('failed');
    }
  }
}
