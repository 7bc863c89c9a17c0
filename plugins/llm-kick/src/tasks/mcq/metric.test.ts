import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCheckpointStore,
  createRunContext,
  OrtSessionFactory,
  parseParams,
  type MetricResult,
} from '@mc-kit/core';
import type { ItemScore } from '../../shared/index.js';
import { MmluDataset } from './dataset.js';
import { constantLmDir, DEV_CSV, mmluDir, TEST_CSV, TOKEN_AB, TOKEN_SPACE_B } from './mcq.fixture.js';
import { KickMcqMetric, MCQ_PARAMS } from './metric.js';
import { loadModelRef } from '@mc-kit/core';
import { expectDenominatorsHold } from '../../shared/denominators.fixture.js';

const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
  seed: 11,
});
const DATA = mmluDir({ dev: { abstract_algebra: DEV_CSV }, test: { abstract_algebra: TEST_CSV } });
const BYTE = (c: string) => c.charCodeAt(0);

const HEADER = 'The following are multiple choice questions (with answers) about  abstract algebra.\n\n';
const SHOT0 = 'Q0?\nA. a0\nB. b0\nC. c0\nD. d0\nAnswer: A\n\n';
const SHOT1 = 'Q1?\nA. a1\nB. b1\nC. c1\nD. d1\nAnswer: B\n\n';
const SHOT2 = 'Q2?\nA. a2\nB. b2\nC. c2\nD. d2\nAnswer: C\n\n';
const Q0 = 'What is 1+1?\nA. 0\nB. 2\nC. 4\nD. 6\nAnswer:';
/** Tokens of the fixture tokenizer, by hand: one per byte, less one per " B" (merge "Ġ B"; no "AB" in these texts). */
const tokensOf = (text: string) => Buffer.byteLength(text) - text.split(' B').length + 1;

async function run(
  answer: number,
  context: number,
  raw: Record<string, unknown> = {},
  baselineDir?: string,
): Promise<MetricResult> {
  const model = await loadModelRef(constantLmDir(answer, context));
  const data = await new MmluDataset().open({ ref: DATA, path: DATA }, ctx);
  const baseline = baselineDir === undefined ? undefined : await loadModelRef(baselineDir);
  return new KickMcqMetric().evaluate(model, data, parseParams(MCQ_PARAMS, raw, 'kick-mcq'), ctx, { baseline });
}

describe('kick-mcq on a model whose answer is known', () => {
  // Gold letters of TEST_CSV: B A B D.
  it('scores the letter token: 2 of 4 right when the model always says "B"; per subject and category', async () => {
    const r = await run(BYTE('B'), 4096);
    expect(r.values.accuracy.value).toBe(0.5);
    expect(r.values['subject/abstract_algebra'].value).toBe(0.5);
    expect(r.values['subcategory/math'].value).toBe(0.5);
    expect(r.values['category/STEM'].value).toBe(0.5);
    expect(r.sums).toMatchObject({ score_sum: 2, items: 4 });
    // sd of (1,0,1,0) is sqrt(1/3); stderr = sqrt(1/3) / 2
    expect(r.values.accuracy.stderr).toBeCloseTo(Math.sqrt(1 / 3) / 2, 12);
    expect(r.details?.items).toEqual([
      { id: 'abstract_algebra/test/0', score: 1 },
      { id: 'abstract_algebra/test/1', score: 0 },
      { id: 'abstract_algebra/test/2', score: 1 },
      { id: 'abstract_algebra/test/3', score: 0 },
    ]);
    expect(r.details?.questionsByShots).toEqual({ 5: 4 });
  });

  it('faithful takes the last character of prompt + token: "AB" counts as B; clean wants the letter alone', async () => {
    expect((await run(TOKEN_AB, 4096)).values.accuracy.value).toBe(0);
    expect((await run(TOKEN_AB, 4096, { faithful: true })).values.accuracy.value).toBe(0.5);
    // " B": both modes read B
    expect((await run(TOKEN_SPACE_B, 4096)).values.accuracy.value).toBe(0.5);
    expect((await run(TOKEN_SPACE_B, 4096, { faithful: true })).values.accuracy.value).toBe(0.5);
    // "\n": clean reads nothing, faithful reads "\n"; both wrong
    expect((await run(BYTE('\n'), 4096, { faithful: true })).values.accuracy.value).toBe(0);
  });

  it('shows the None cell as "nan" when faithful (pandas), as written when clean', async () => {
    const prompt = async (faithful: boolean) =>
      ((await run(BYTE('B'), 4096, { faithful, 'log-samples': true })).details?.samples as ItemScore[])[1].prompt;
    expect((await prompt(true)).endsWith('Answer: A\n\nPick one.\nA. nan\nB. x\nC. y\nD. z\nAnswer:')).toBe(true);
    expect((await prompt(false)).endsWith('Answer: A\n\nPick one.\nA. None\nB. x\nC. y\nD. z\nAnswer:')).toBe(true);
  });

  it('drops shots until the prompt fits the context, and logs the exact prompt', async () => {
    const twoShots = HEADER + SHOT0 + SHOT1 + Q0;
    const context = tokensOf(twoShots);
    expect(context).toBeLessThan(tokensOf(HEADER + SHOT0 + SHOT1 + SHOT2 + Q0));
    const r = await run(BYTE('B'), context, { 'log-samples': true });
    const first = (r.details?.samples as ItemScore[])[0];
    expect(first.prompt).toBe(twoShots);
    expect(first.extra).toMatchObject({ shots: 2, prompt_tokens: context });
    expect(first.output).toBe('B');
  });

  it('refuses a question that does not fit with no shots, naming it; --too-long skip leaves it out', async () => {
    const context = tokensOf(HEADER + Q0) - 1;
    await expect(run(BYTE('B'), context)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: expect.stringContaining('question abstract_algebra/test/0 is'),
    });
    const r = await run(BYTE('B'), context, { 'too-long': 'skip' });
    expect(r.details?.skipped).toContain('abstract_algebra/test/0');
    expect(r.samples).toBe(4 - (r.details?.skipped as string[]).length);
  });

  it('--baseline scores both on the same items: delta, interval, disagreements', async () => {
    const baseline = constantLmDir(TOKEN_AB, 4096);
    const r = await run(BYTE('B'), 4096, { 'bootstrap-resamples': 1000 }, baseline);
    expect(r.values['accuracy.baseline'].value).toBe(0);
    expect(r.values['accuracy.delta'].value).toBe(0.5);
    const c = r.details?.comparison as {
      low: number;
      high: number;
      level: number;
      resamples: number;
      seed: number;
      disagreements: unknown[];
    };
    expect(c).toMatchObject({ level: 0.95, resamples: 1000, seed: 11 });
    expect(c.low).toBeLessThanOrEqual(0.5);
    expect(c.high).toBeGreaterThanOrEqual(0.5);
    expect(c.disagreements).toEqual([
      { id: 'abstract_algebra/test/0', model: 1, baseline: 0 },
      { id: 'abstract_algebra/test/2', model: 1, baseline: 0 },
    ]);
  });
});

describe('kick-mcq denominators (issue 17 audit)', () => {
  it('every subject, subcategory and category mean divides by its own questions; skipped ones are in no mean', async () => {
    expectDenominatorsHold(await run(BYTE('B'), 4096), 'accuracy');
  });
});

describe('kick-mcq under eval --resume', () => {
  it('a run stopped after 2 of 4 questions continues from its checkpoint: the other 2 scored, the result the same', async () => {
    const root = join(mkdtempSync(join(tmpdir(), 'mc-kick-resume-')), '.cache');
    const model = await loadModelRef(constantLmDir(BYTE('B'), 4096));
    const data = await new MmluDataset().open({ ref: DATA, path: DATA }, ctx);
    const params = parseParams(MCQ_PARAMS, {}, 'kick-mcq');
    const clean = await new KickMcqMetric().evaluate(model, data, params, ctx);

    const stop = new AbortController();
    let ticks = 0;
    const stopping = {
      ...ctx,
      signal: stop.signal,
      progress: {
        start: () => ({ tick: () => void (++ticks === 2 && stop.abort()), update() {}, done() {}, fail() {} }),
      },
    };
    const first = await createCheckpointStore(root, { key: 1 });
    await expect(
      new KickMcqMetric().evaluate(model, data, params, { ...stopping, checkpoints: first }),
    ).rejects.toMatchObject({ code: 'E_ABORTED' });
    await first.close(false);
    const part = join(first.dir, readdirSync(first.dir).find((f) => f.startsWith('model-'))!);
    expect(readFileSync(part, 'utf8').trim().split('\n')).toHaveLength(2);

    const second = await createCheckpointStore(root, { key: 1 });
    const resumed = await new KickMcqMetric().evaluate(model, data, params, { ...ctx, checkpoints: second });
    expect(second.resumed()).toBe(2);
    await second.close(false);
    expect(readFileSync(part, 'utf8').trim().split('\n')).toHaveLength(4); // 2 kept + 2 scored now, none twice
    expect(resumed.values).toEqual(clean.values);
    expect(resumed.sums).toEqual(clean.sums);
    expect(resumed.details?.items).toEqual(clean.details?.items);
  });
});
