/**
 * eval --shards for bpc, perplexity and kld: N shards scored apart and merged (Metric.mergeShards)
 * give the sums and values of one run bit for bit (toEqual compares numbers with Object.is), for N = 1,
 * 3 and 7, and more shards than batches (empty shards), with batches of 1 and 3 and a corpus
 * of two subsets. The windows each shard scores are counted: every window once.
 */
import {
  createRunContext,
  loadModelRef,
  OrtSessionFactory,
  parseParams,
  type Metric,
  type MetricInputs,
  type MetricResult,
  type ParamSpec,
  type TextDataset,
} from '@mc-kit/core';
import { bigramModelDir } from './bigram.fixture.js';
import { BpcMetric } from './bpc.js';
import { KldMetric } from './kld.js';
import { mergeKldSums, type KldSums } from './kld-stats.js';
import { PerplexityMetric } from './perplexity.js';

const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
});
const dir = bigramModelDir({ context: 16 });
// another bigram table over the same tokenizer: the model kld compares with the dense `dir`
const otherDir = bigramModelDir({
  context: 16,
  probabilities: [
    [0.2, 0.4, 0.3, 0.1],
    [0.3, 0.1, 0.45, 0.15],
    [0.55, 0.1, 0.2, 0.15],
    [0.1, 0.3, 0.35, 0.25],
  ],
});
const records = (seed: number) =>
  Array.from({ length: 6 }, (_, r) =>
    Array.from({ length: 9 + ((r * 7 + seed) % 11) }, (_, i) => 'abc\n'[(i * i + r * 3 + seed) % 4]).join(''),
  );
const text: TextDataset = {
  kind: 'text',
  provider: 'test',
  ref: 'memory',
  digest: 'x',
  size: 6,
  subsets: [{ name: 'corpus', records: records(1) }],
  join: '\n\n',
};
const twoSubsets: TextDataset = {
  ...text,
  size: 12,
  subsets: [
    { name: 'python', records: records(2) },
    { name: 'arxiv', records: records(5) },
  ],
};

async function sharded(
  metric: Metric,
  data: TextDataset,
  raw: Record<string, unknown>,
  count: number,
  inputs: MetricInputs,
): Promise<{ merged: MetricResult; parts: MetricResult[] }> {
  const model = await loadModelRef(otherDir);
  const params = parseParams(metric.params as readonly ParamSpec[], raw, metric.id);
  const parts: MetricResult[] = [];
  for (let index = 0; index < count; index++)
    parts.push(await metric.evaluate(model, data, params, ctx, { ...inputs, shard: { index, count } }));
  return { merged: metric.mergeShards!(parts, params), parts };
}

describe.each<[string, Metric, Record<string, unknown>, TextDataset]>([
  ['bpc', new BpcMetric(), { 'block-size': 4, stride: 1 }, text],
  ['bpc, batches of 3', new BpcMetric(), { 'block-size': 4, stride: 2, 'batch-size': 3 }, text],
  ['bpc, two subsets', new BpcMetric(), { 'block-size': 5, stride: 2, 'batch-size': 2 }, twoSubsets],
  ['perplexity strided', new PerplexityMetric(), { mode: 'strided', seqlen: 4, stride: 1 }, text],
  ['perplexity classic, batches of 2', new PerplexityMetric(), { seqlen: 3, 'batch-size': 2 }, twoSubsets],
  ['kld', new KldMetric(), { 'block-size': 4, stride: 1 }, text],
  ['kld, batches of 3, two subsets', new KldMetric(), { 'block-size': 4, stride: 2, 'batch-size': 3 }, twoSubsets],
])('%s in shards', (_, metric, raw, data) => {
  const inputs: () => Promise<MetricInputs> = async () =>
    metric.baseline === 'required' ? { baseline: await loadModelRef(dir) } : {};
  let single: MetricResult;
  beforeAll(async () => {
    const params = parseParams(metric.params as readonly ParamSpec[], raw, metric.id);
    single = await metric.evaluate(await loadModelRef(otherDir), data, params, ctx, await inputs());
  });

  it.each([1, 3, 7])('%i shards merge to the single run bit for bit', async (count) => {
    const { merged, parts } = await sharded(metric, data, raw, count, await inputs());
    expect(merged.sums).toEqual(single.sums);
    expect(merged.values).toEqual(single.values);
    expect(merged.samples).toBe(single.samples);
    // every window in exactly one shard: the shards' windows add up to the run's
    const windows = Object.entries(single.sums)
      .filter(([k]) => k === 'windows' || k.endsWith('.windows'))
      .reduce((t, [, v]) => t + v, 0);
    expect(parts.reduce((t, p) => t + p.samples, 0)).toBe(windows);
  });

  it('more shards than batches: the empty shards add nothing', async () => {
    const small: TextDataset = { ...data, subsets: data.subsets.map((s) => ({ ...s, records: ['abcab\nca', 'bca'] })) };
    const params = parseParams(metric.params as readonly ParamSpec[], raw, metric.id);
    const one = await metric.evaluate(await loadModelRef(otherDir), small, params, ctx, await inputs());
    const { merged, parts } = await sharded(metric, small, raw, 12, await inputs());
    expect(parts.filter((p) => p.samples === 0).length).toBeGreaterThan(0);
    expect(merged.sums).toEqual(one.sums);
    expect(merged.values).toEqual(one.values);
  });
});

describe('why the merge replays tokens instead of adding partial sums', () => {
  it('kld: adding each shard’s own sums (mergeKldSums) misses the one-run sums in the last bits; the replay does not', async () => {
    const metric = new KldMetric();
    const params = parseParams(metric.params, { 'block-size': 4, stride: 1 }, 'kld');
    const inputs = { baseline: await loadModelRef(dir) };
    const model = await loadModelRef(otherDir);
    const single = await metric.evaluate(model, text, params, ctx, inputs);
    const keys = ['sum_kld', 'sum_kld2', 'sum_p_diff', 'sum_p_diff2', 'sum_p_diff4'] as const;
    let differs = 0;
    for (const count of [2, 3, 4, 5]) {
      const { merged, parts } = await sharded(metric, text, { 'block-size': 4, stride: 1 }, count, inputs);
      // each shard's sums alone (a part merged as if it were the only shard), then added up
      const alone = parts.map(
        (p) => metric.mergeShards([{ ...p, shard: { ...p.shard!, index: 0, count: 1 } }]).sums as unknown as KldSums,
      );
      const added = alone.reduce((a, b) => mergeKldSums(a, b));
      differs += keys.filter((k) => added[k] !== single.sums[k]).length;
      for (const k of keys) expect(merged.sums[k]).toBe(single.sums[k]);
    }
    expect(differs).toBeGreaterThan(0); // else this corpus could not tell a wrong merge from a right one
  });
});
