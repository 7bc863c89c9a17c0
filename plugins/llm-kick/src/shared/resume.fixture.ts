/**
 * Test fixture for eval --resume: run a kick-* metric clean, then stopped (aborted, as Ctrl-C does)
 * after `stopAfter` progress ticks with a checkpoint store, then resumed from that store; the
 * resumed result must equal the clean one in every value, sum and detail, bit for bit.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCheckpointStore, type MetricResult, type RunContext } from '@mc-kit/core';

export interface ResumeOutcome {
  readonly clean: MetricResult;
  readonly resumed: MetricResult;
  /** records the stopped run left, per part (file name without .jsonl) */
  readonly left: Record<string, number>;
  /** records per part once the resumed run is done */
  readonly after: Record<string, number>;
  /** records the resumed run read back */
  readonly read: number;
}

function recordsPerPart(dir: string): Record<string, number> {
  const parts = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
  return Object.fromEntries(
    parts.map((f) => [
      f.replace(/\.jsonl$/, ''),
      readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length,
    ]),
  );
}

export async function stopAndResume(
  evaluate: (ctx: RunContext) => Promise<MetricResult>,
  ctx: RunContext,
  stopAfter: number,
): Promise<ResumeOutcome> {
  const clean = await evaluate(ctx);
  const root = join(mkdtempSync(join(tmpdir(), 'mc-kick-resume-')), '.cache');
  const stop = new AbortController();
  let ticks = 0;
  const tick = () => void (++ticks === stopAfter && stop.abort());
  const stopping: RunContext = {
    ...ctx,
    signal: stop.signal,
    progress: { start: () => ({ tick, update() {}, done() {}, fail() {} }) } as unknown as RunContext['progress'],
  };
  const first = await createCheckpointStore(root, { key: 1 });
  const aborted = await evaluate({ ...stopping, checkpoints: first }).then(
    () => undefined,
    (e: unknown) => e,
  );
  await first.close(false);
  if ((aborted as { code?: string } | undefined)?.code !== 'E_ABORTED')
    throw new Error(
      `the first run was to stop after ${stopAfter} ticks, and ended with ${String(aborted)} (${ticks} ticks)`,
    );
  const left = recordsPerPart(first.dir);
  const second = await createCheckpointStore(root, { key: 1 });
  const resumed = await evaluate({ ...ctx, checkpoints: second });
  await second.close(false);
  return { clean, resumed, left, after: recordsPerPart(second.dir), read: second.resumed() };
}

/** What every task's resume test asserts of the results: equal to the clean run's, bit for bit. */
export function expectSameResult(a: MetricResult, b: MetricResult): void {
  expect(a.values).toEqual(b.values);
  expect(a.sums).toEqual(b.sums);
  expect(a.samples).toBe(b.samples);
  expect(a.details).toEqual(b.details);
}
