/**
 * A job's progress, as the coordinator reads it from the queue: the stage the job is in (the label
 * of its current progress task) and how far that stage is. Sent at most once a second: a tick per
 * window would be a Redis round trip per window.
 */
import type { Progress, ProgressTask } from '@mc-kit/core';

export interface JobProgress {
  readonly stage: string;
  readonly done: number;
  readonly total?: number;
}

export function isJobProgress(p: unknown): p is JobProgress {
  return typeof p === 'object' && p !== null && typeof (p as JobProgress).stage === 'string';
}

/** `inner` (the worker's own lines), with every task's state also sent to `send`. */
export function progressToQueue(
  inner: Progress,
  send: (p: JobProgress) => Promise<void>,
  minIntervalMs = 1000,
  now: () => number = () => performance.now(),
): Progress {
  let last = -Infinity;
  const post = (p: JobProgress, force = false) => {
    if (!force && now() - last < minIntervalMs) return;
    last = now();
    send(p).catch(() => {}); // progress is advisory: a lost update must not fail the job
  };
  return {
    start(label: string, total?: number): ProgressTask {
      const task = inner.start(label, total);
      let stage = label;
      let done = 0;
      post({ stage, done, total }, true);
      return {
        tick(n = 1) {
          done += n;
          task.tick(n);
          post({ stage, done, total });
        },
        update(l) {
          stage = l;
          task.update(l);
          post({ stage, done, total });
        },
        done(summary) {
          task.done(summary);
          post({ stage: summary ?? `${label}: done`, done: total ?? done, total }, true);
        },
        fail(summary) {
          task.fail(summary);
        },
      };
    },
  };
}
