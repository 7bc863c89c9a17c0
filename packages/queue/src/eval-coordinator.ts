/**
 * mc eval --shards N --queue: the eval's metrics checked (planEvalShards: every mistake before any
 * work), Redis checked, one 'eval-shard' job per shard (jobId shard-<i>: adding it again is a no-op),
 * followed until each is done, then merged (core's mergeEvalShards) into the results one process would
 * have written. The queue is named from the request, so the same command run again after the
 * coordinator stopped re-attaches to its shards (done ones are kept, failed ones tried again).
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import {
  ErrorCodes,
  UserError,
  isHubRef,
  mergeEvalShards,
  planEvalShards,
  type EvalRequest,
  type EvalResult,
  type Registry,
  type RunContext,
} from '@mc-kit/core';
import { Queue, type Job } from 'bullmq';
import { assertReachable, type QueueConnection } from './connection.js';
import { followJobs } from './follow-jobs.js';
import { evalShardKind, type EvalShardJob } from './kinds/eval-shard.js';
import { announceQueue, canonicalJson, QUEUE_PREFIX, retireQueue } from './naming.js';

export interface QueuedEvalOptions {
  readonly connection: QueueConnection;
  /** --name; default: mc-eval-<hash of the request and the shard count> */
  readonly name?: string;
  /** tries per shard: a crash is retried, a user error is not */
  readonly attempts: number;
  readonly pollMs?: number;
}

type ShardJob = Job<EvalShardJob, EvalResult[]>;

export function shardJobId(index: number): string {
  return `shard-${index}`;
}

export function evalQueueName(request: EvalRequest, count: number): string {
  const hash = createHash('sha256').update(canonicalJson({ request, count })).digest('hex').slice(0, 12);
  return `mc-eval-${hash}`;
}

export async function runQueuedEval(
  registry: Registry,
  request: EvalRequest,
  count: number,
  options: QueuedEvalOptions,
  ctx: RunContext,
): Promise<{ queue: string; results: EvalResult[] }> {
  const shared = withAbsolutePaths(request); // a worker's working folder is not ours
  planEvalShards(registry, shared, count);
  const name = options.name ?? evalQueueName({ ...shared, run: undefined }, count);
  await assertReachable(options.connection);
  const queue = new Queue(name, { connection: options.connection.options, prefix: QUEUE_PREFIX });
  queue.on('error', () => {}); // the awaited calls report it
  try {
    await announceQueue(options.connection, name);
    await queue.addBulk(
      Array.from({ length: count }, (_, index) => ({
        name: evalShardKind.name,
        data: { request: shared, shard: { index, count }, ...(ctx.invocation ? { invocation: ctx.invocation } : {}) },
        opts: {
          jobId: shardJobId(index), // the same command again: the existing job stays as it is
          attempts: options.attempts,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
    for (let i = 0; i < count; i++) {
      const job = await queue.getJob(shardJobId(i));
      if (job && (await job.getState()) === 'failed') {
        ctx.log.info(`eval: shard ${i + 1} failed before (${job.failedReason}); trying it again`);
        await job.retry('failed');
      }
    }
    ctx.log.info(
      `eval: ${count} shards queued on ${options.connection.display} as ${name}; workers: mc worker --queue <url>`,
    );
    const jobs = await followJobs<ShardJob>(
      queue,
      Array.from({ length: count }, (_, i) => shardJobId(i)),
      {
        label: 'eval shards',
        ordinal: (j) => j.data.shard.index + 1,
        interrupted: 'eval: interrupted; the shards stay queued (run the same command again to re-attach)',
      },
      options.pollMs ?? 500,
      ctx,
    );
    const failed = jobs.find((j) => j.state === 'failed');
    if (failed)
      throw new UserError(
        ErrorCodes.BAD_JOB,
        `shard ${failed.job.data.shard.index + 1} of ${count} failed: ${failed.job.failedReason}`,
        {
          hint: 'no result was written; fix it and run the same command again: done shards are kept',
        },
      );
    const results = mergeEvalShards(
      registry,
      jobs.map((j) => j.job.returnvalue),
    );
    await queue.obliterate({ force: true }); // merged: the same command now starts afresh
    await retireQueue(options.connection, name);
    return { queue: name, results };
  } finally {
    await queue.close();
  }
}

function withAbsolutePaths(request: EvalRequest): EvalRequest {
  const local = (p: string) => (isHubRef(p) ? p : resolve(p));
  return {
    ...request,
    model: local(request.model),
    ...(request.dataset !== undefined ? { dataset: local(request.dataset) } : {}),
    ...(request.baseline !== undefined ? { baseline: local(request.baseline) } : {}),
  };
}
