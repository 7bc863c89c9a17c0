import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelRef, parseParams } from '@mc-kit/core';
import type { ImageClassDataset, LoadedModel, McSession, Params, RunContext } from '@mc-kit/core';
import { U8ImagesDataset } from '../datasets/u8-images.js';
import { linearClassifier, tempDir, testContext, writeU8Set, type LinearModelSpec } from '../test-helpers.js';
import { AccuracyMetric } from './accuracy.js';

/**
 * A hand-computable classifier: 1x2x2 images, logits = Flatten(x) @ W over 6 classes (k = 5).
 * Pixels are 0 or 255, so with the default rescale 1/255 an image with only pixel i lit gives
 * logits = W[i].
 */
const W = [
  [5, 4, 3, 2, 1, 0], // pixel 0: 0 > 1 > 2 > 3 > 4 > 5
  [0, 1, 2, 3, 4, 5], // pixel 1: 5 > 4 > ... > 0
  [0, 0, 9, 0, 0, 0], // pixel 2: class 2, then five tied at 0
  [1, 1, 1, 1, 1, 1], // pixel 3: all tied
];
const lit = (i: number | null) => [0, 1, 2, 3].map((j) => (j === i ? 255 : 0));
// [lit pixel, label, classes strictly above the label] -> top1 iff 0 above, top5 iff < 5 above
const SAMPLES: [number | null, number, number][] = [
  [0, 0, 0],
  [0, 1, 1],
  [0, 5, 5],
  [1, 5, 0],
  [1, 0, 5],
  [2, 2, 0],
  [2, 3, 1], // ties with 4 others at 0, but only class 2 is strictly larger
  [3, 4, 0], // all tied: nobody strictly larger
  [null, 1, 0], // blank image: all logits 0
  [0, 4, 4],
];
const NAMES = ['zero', 'one', 'two', 'three', 'four', 'five'];

const metric = new AccuracyMetric();

/** A context that records progress and counts sessions created and released. */
function counted(base: RunContext) {
  const ticks: number[] = [];
  const started: [string, number | undefined][] = [];
  const sessions = { created: 0, released: 0 };
  const ctx: RunContext = {
    ...base,
    progress: {
      start: (label, total) => (
        started.push([label, total]),
        { tick: (n = 1) => void ticks.push(n), update: () => {}, done: () => {}, fail: () => {} }
      ),
    },
    sessions: {
      requested: 'cpu',
      create: async (model, options) => {
        sessions.created++;
        const s = await base.sessions.create(model, options);
        return {
          ...s,
          run: s.run.bind(s),
          release: async () => void (sessions.released++, await s.release()),
        } as McSession;
      },
    },
  };
  return { ctx, ticks, started, sessions };
}
const params = (raw: Record<string, unknown> = {}): Params => parseParams(metric.params, raw, 'accuracy');

describe('accuracy', () => {
  let dir: string;
  let cleanup: () => void;
  let ctx: RunContext;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    ctx = testContext();
  });
  afterEach(() => cleanup());

  async function setup(
    model: Partial<LinearModelSpec> = {},
    labelNames = NAMES,
    chw: [number, number, number] = [1, 2, 2],
  ): Promise<{ m: LoadedModel; ds: ImageClassDataset }> {
    writeFileSync(join(dir, 'model.onnx'), linearClassifier({ chw: [1, 2, 2], weights: W, ...model }));
    const images = Uint8Array.from(
      SAMPLES.flatMap(([i]) => (chw[1] === 2 ? lit(i) : new Array<number>(chw[0] * chw[1] * chw[2]).fill(0))),
    );
    writeU8Set(dir, {
      images,
      labels: Uint8Array.from(SAMPLES.map(([, l]) => l)),
      channels: chw[0],
      height: chw[1],
      width: chw[2],
      labelNames,
    });
    return {
      m: await loadModelRef(join(dir, 'model.onnx')),
      ds: await new U8ImagesDataset().open({ ref: dir, path: dir }, ctx),
    };
  }

  it('counts top-1 and top-5 exactly, with the stated tie rule, per class and as a confusion matrix', async () => {
    const { m, ds } = await setup();
    const r = await metric.evaluate(m, ds, params(), ctx);
    const top1 = SAMPLES.filter(([, , above]) => above === 0).length;
    const top5 = SAMPLES.filter(([, , above]) => above < 5).length;
    expect([top1, top5]).toEqual([5, 8]);
    expect(r).toMatchObject({
      metric: 'accuracy',
      metricVersion: 1,
      samples: 10,
      sums: { correct_top1: 5, correct_top5: 8, samples: 10 },
    });
    // stderr = sqrt(p(1-p)/n), the binomial standard error, computed as written
    expect(r.values.top1).toEqual({ value: 0.5, stderr: Math.sqrt((0.5 * (1 - 0.5)) / 10), higherIsBetter: true });
    expect(r.values.top5).toEqual({ value: 0.8, stderr: Math.sqrt((0.8 * (1 - 0.8)) / 10), higherIsBetter: true });
    expect(r.details!.perClass).toEqual([
      { label: 'zero', correct: 1, count: 2 },
      { label: 'one', correct: 1, count: 2 },
      { label: 'two', correct: 1, count: 1 },
      { label: 'three', correct: 0, count: 1 },
      { label: 'four', correct: 1, count: 2 },
      { label: 'five', correct: 1, count: 2 },
    ]);
    expect(r.details!.confusion).toEqual([
      [1, 0, 0, 0, 0, 1],
      [1, 1, 0, 0, 0, 0],
      [0, 0, 1, 0, 0, 0],
      [0, 0, 1, 0, 0, 0],
      [1, 0, 0, 0, 1, 0],
      [1, 0, 0, 0, 0, 1],
    ]);
    expect(r.details).toMatchObject({ k: 5, classes: 6, preprocess: { rescale: 1 / 255, mean: [0], std: [1] } });
  });

  it('gives the same result for any batch size, ticks progress per image and releases its one session', async () => {
    const { m, ds } = await setup();
    const { ctx: counting, ticks, started, sessions } = counted(ctx);
    const whole = await metric.evaluate(m, ds, params(), ctx);
    const small = await metric.evaluate(m, ds, params({ 'batch-size': '3' }), counting);
    expect(small).toEqual(whole);
    expect(started).toEqual([['accuracy', 10]]);
    expect(ticks).toEqual([3, 3, 3, 1]);
    expect(sessions).toEqual({ created: 1, released: 1 });
  });

  it('stops between batches when aborted, and still releases the session', async () => {
    const { m, ds } = await setup();
    const ac = new AbortController();
    ac.abort();
    const { ctx: aborting, ticks, sessions } = counted(testContext(ac.signal));
    await expect(metric.evaluate(m, ds, params({ 'batch-size': 2 }), aborting)).rejects.toMatchObject({
      code: 'E_ABORTED',
    });
    expect(ticks).toEqual([]);
    expect(sessions).toEqual({ created: 1, released: 1 });
  });

  it('takes rescale/mean/std from params over config.json', async () => {
    const { m, ds } = await setup();
    const withConfig = { ...m, config: { preprocessing: { rescale_factor: 1, mean: [0], std: [1] } } };
    const r = await metric.evaluate(withConfig, ds, params({ std: '2' }), ctx);
    // scaling every logit by 255/2 keeps every ranking: same counts
    expect(r.sums).toEqual({ correct_top1: 5, correct_top5: 8, samples: 10 });
    expect(r.details!.preprocess).toEqual({
      rescale: 1,
      mean: [0],
      std: [2],
      source: { rescale: 'config', mean: 'config', std: 'params' },
    });
  });

  it('picks the logits output by name; the default first output is checked against the labels', async () => {
    const { m, ds } = await setup({ featuresFirst: true });
    await expect(metric.evaluate(m, ds, params(), ctx)).rejects.toMatchObject({
      code: 'E_WRONG_DATASET_KIND',
      message: expect.stringContaining('scores 4 classes but'),
    });
    const r = await metric.evaluate(m, ds, params({ output: 'logits' }), ctx);
    expect(r.sums.correct_top1).toBe(5);
    await expect(metric.evaluate(m, ds, params({ output: 'logit' }), ctx)).rejects.toMatchObject({
      code: 'E_BAD_PARAM',
      hint: 'did you mean logits?',
    });
  });

  it('refuses a dataset with more labels than the model has logits', async () => {
    const { m, ds } = await setup({}, [...NAMES, 'six', 'seven']);
    await expect(metric.evaluate(m, ds, params(), ctx)).rejects.toMatchObject({
      code: 'E_WRONG_DATASET_KIND',
      message: expect.stringContaining('scores 6 classes but'),
    });
  });

  it('needs --input when the model has several inputs', async () => {
    const { m, ds } = await setup({ extraInput: true });
    await expect(metric.evaluate(m, ds, params(), ctx)).rejects.toMatchObject({
      code: 'E_BAD_MODEL',
      hint: expect.stringContaining('--input'),
    });
  });

  // a dataset of another kind never reaches evaluate: eval refuses it (core services/eval.test.ts, test/plugins.e2e.test.ts)
  it('says clearly when images do not fit the model', async () => {
    const { m, ds } = await setup({}, NAMES, [1, 3, 3]);
    await expect(metric.evaluate(m, ds, params(), ctx)).rejects.toMatchObject({
      code: 'E_BAD_MODEL',
      message: expect.stringContaining('[10, 1, 3, 3]'),
    });
    const sized = { ...m, config: { preprocessing: { size: { height: 2, width: 2 }, channels: 1 } } };
    await expect(metric.evaluate(sized, ds, params(), ctx)).rejects.toMatchObject({ code: 'E_WRONG_DATASET_KIND' });
  });
});
