/**
 * 'sweep-point': one point of an mc sweep, compressed into its folder under the sweep's --out and
 * evaluated, exactly as the local sweep does it (core's runSweepPoint). The job carries the whole
 * SweepRequest and the point's index; the worker plans the sweep again with planSweep, the planner
 * mc sweep itself used, and runs the point it finds there. The results come back as the job's
 * return value; the coordinator writes them under its --results (the worker writes none).
 */
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  ErrorCodes,
  UserError,
  lockPathFor,
  planSweep,
  runSweepPoint,
  type CompressResult,
  type EvalResult,
  type Invocation,
  type SweepRequest,
} from '@mc-kit/core';
import { INVOCATION_SCHEMA, type JobKind } from '../kinds.js';
import { SWEEP_REQUEST_SCHEMA } from './sweep-request-schema.js';

export interface SweepPointJob {
  readonly request: SweepRequest;
  /** the point's index in planSweep(request) */
  readonly point: number;
  readonly invocation?: Invocation;
}

export interface SweepPointReturn {
  readonly compress: CompressResult;
  readonly eval: EvalResult;
}

export const sweepPointKind: JobKind<SweepPointJob> = {
  name: 'sweep-point',
  summary: 'one mc sweep point: compress into its folder under --out, then evaluate it',
  schema: {
    type: 'object',
    properties: {
      request: SWEEP_REQUEST_SCHEMA,
      point: { type: 'integer', minimum: 0 },
      invocation: INVOCATION_SCHEMA,
    },
    required: ['request', 'point'],
    additionalProperties: false,
  },
  check(data, registry) {
    const plans = planSweep(registry, data.request);
    if (data.point >= plans.length)
      throw new UserError(ErrorCodes.BAD_JOB, `sweep-point job: point ${data.point} of a ${plans.length}-point sweep`, {
        hint: 'the job was not made by mc sweep',
      });
  },
  async run(data, { registry, run, queue, jobId }) {
    const plan = planSweep(registry, data.request)[data.point];
    const out = join(resolve(data.request.out), plan.folder);
    await clearEarlierAttempt(out, `${queue}/${jobId}`);
    const outcome = await runSweepPoint(registry, data.request, plan, run); // no dense eval here: the coordinator adds the baseline
    await fs.rm(markerPath(out), { force: true });
    return outcome satisfies SweepPointReturn;
  },
};

/** Beside the point's folder: which job is writing it, so a retry of the same job may replace what an earlier attempt left. */
function markerPath(out: string): string {
  return join(dirname(out), `.${basename(out)}.mc-job`);
}

/**
 * A job handed on after its worker died (SIGKILL, a lost machine) may find the point's folder
 * written whole by the earlier attempt, and that attempt's lock file (another host's lock is never
 * taken over). The queue gives one worker a job at a time, so when the marker names this job the
 * earlier attempt is dead: its folder and lock go. A folder without this job's marker is refused.
 */
async function clearEarlierAttempt(out: string, job: string): Promise<void> {
  const marker = markerPath(out);
  const mine = existsSync(marker) && (await fs.readFile(marker, 'utf8')).trim() === job;
  if (mine) {
    await fs.rm(out, { recursive: true, force: true });
    await fs.rm(lockPathFor(out), { force: true });
  } else if (existsSync(out)) {
    throw new UserError(ErrorCodes.TARGET_EXISTS, `${out} already exists and was not written by this sweep's job`, {
      hint: 'give mc sweep a new --out',
    });
  }
  await fs.mkdir(dirname(out), { recursive: true }); // the coordinator made --out; a worker's view may lag on a network filesystem
  await fs.writeFile(marker, `${job}\n`);
}
