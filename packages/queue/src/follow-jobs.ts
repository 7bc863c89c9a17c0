/**
 * A coordinator's wait: poll its jobs until every one has completed or failed for good, showing
 * done / running / failed (with each running job's stage) and, through the progress task, an ETA.
 * The sweep and the sharded eval follow their jobs the same way; they differ only in words.
 */
import { throwIfAborted, type RunContext } from '@mc-kit/core';
import type { Job, Queue } from 'bullmq';
import { isJobProgress } from './job-progress.js';

export interface FollowWords<J> {
  /** what the jobs are, for the progress line: 'sweep points', 'eval shards' */
  readonly label: string;
  /** 1-based number of a job in its run, shown as #N beside its stage */
  readonly ordinal: (job: J) => number;
  /** the line left when Ctrl-C stops the wait (the jobs stay queued) */
  readonly interrupted: string;
}

export async function followJobs<J extends Job>(
  queue: Queue,
  ids: readonly string[],
  words: FollowWords<J>,
  pollMs: number,
  ctx: RunContext,
): Promise<{ job: J; state: 'completed' | 'failed' }[]> {
  const task = ctx.progress.start(words.label, ids.length);
  let shown = 0;
  for (;;) {
    const jobs = (await Promise.all(ids.map((id) => queue.getJob(id)))) as (J | undefined)[];
    const states = await Promise.all(jobs.map((j) => j?.getState() ?? 'unknown'));
    const done = states.filter((s) => s === 'completed').length;
    const failed = states.filter((s) => s === 'failed').length;
    const running = jobs.filter((j, i): j is J => states[i] === 'active' && j !== undefined);
    const stage = running
      .map((j) => `#${words.ordinal(j)}${isJobProgress(j.progress) ? ` ${j.progress.stage}` : ''}`)
      .join('; ');
    // the task adds done/total and the ETA from the rate of done jobs
    task.update(`${words.label}: ${running.length} running, ${failed} failed${stage ? ` (${stage})` : ''}`);
    if (done > shown) {
      task.tick(done - shown);
      shown = done;
    }
    if (done + failed === ids.length) {
      if (failed) task.fail(`${words.label}: ${done} done, ${failed} failed`);
      else task.done(`${words.label}: ${done} done`);
      return jobs.map((job, i) => ({ job: job as J, state: states[i] as 'completed' | 'failed' }));
    }
    if (ctx.signal.aborted) {
      task.fail(words.interrupted);
      throwIfAborted(ctx.signal);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
