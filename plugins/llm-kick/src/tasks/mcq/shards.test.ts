/**
 * kick-mcq under eval --shards: the questions split into contiguous shards and merged give one run's
 * values, sums, per-item scores and (with --baseline) paired comparison exactly, for N = 1, 2, 3 and
 * more shards than questions; every question is scored in exactly one shard.
 */
import { createRunContext, loadModelRef, OrtSessionFactory, parseParams, type MetricResult } from '@mc-kit/core';
import { MmluDataset } from './dataset.js';
import { constantLmDir, DEV_CSV, mmluDir, TEST_CSV } from './mcq.fixture.js';
import { KickMcqMetric, MCQ_PARAMS } from './metric.js';

const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
  seed: 11,
});
// two subjects, so a shard boundary can fall inside one and between them
const DATA = mmluDir({
  dev: { abstract_algebra: DEV_CSV, anatomy: DEV_CSV },
  test: { abstract_algebra: TEST_CSV, anatomy: TEST_CSV },
});
const MODEL = constantLmDir('B'.charCodeAt(0), 4096);
const BASELINE = constantLmDir('D'.charCodeAt(0), 4096);
const metric = new KickMcqMetric();
const params = parseParams(MCQ_PARAMS, { 'bootstrap-resamples': 200 }, 'kick-mcq');

describe.each([
  ['alone', false],
  ['with --baseline', true],
])('kick-mcq in shards, %s', (_, withBaseline) => {
  let single: MetricResult;
  const setup = async () => ({
    model: await loadModelRef(MODEL),
    data: await new MmluDataset().open({ ref: DATA, path: DATA }, ctx),
    inputs: withBaseline ? { baseline: await loadModelRef(BASELINE) } : {},
  });
  beforeAll(async () => {
    const { model, data, inputs } = await setup();
    single = await metric.evaluate(model, data, params, ctx, inputs);
    expect(single.sums.items).toBe(8);
  });

  it.each([1, 2, 3, 11])('%i shards merge to one run exactly', async (count) => {
    const { model, data, inputs } = await setup();
    const parts: MetricResult[] = [];
    for (let index = 0; index < count; index++)
      parts.push(await metric.evaluate(model, data, params, ctx, { ...inputs, shard: { index, count } }));
    expect(parts.reduce((n, p) => n + p.samples, 0)).toBe(8); // each question in one shard
    const merged = metric.mergeShards(parts, params);
    expect(merged.values).toEqual(single.values);
    expect(merged.sums).toEqual(single.sums);
    expect(merged.details).toEqual(single.details);
    if (withBaseline) expect(merged.values['accuracy.delta']).toBeDefined();
  });
});
