/**
 * eval --shards in core: shardRange tiles a plan in order (empty shards when there are more shards
 * than units), encodeFloats keeps every bit, planEvalShards refuses what a sharded eval cannot do,
 * and evaluateSharded over a metric that keeps per-unit records equals evaluateModel bit for bit,
 * while the sum of the shards' partial sums does not (the reason the merge replays records).
 */
import { createRunContext } from '../context.js';
import type { Metric, MetricResult } from '../contracts.js';
import { metric } from '../declarations.js';
import { Registry } from '../registry.js';
import { decodeFloats, encodeFloats, shardRange, shardRecords } from '../shards.js';
import { OrtSessionFactory } from '../session/factory.js';
import { evaluateModel } from './eval.js';
import { evaluateSharded, planEvalShards } from './eval-shards.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { DataType } from '../onnx/dtypes.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** 1000 units whose values (1/(i+3), magnitudes apart) add up differently in another grouping. */
const UNITS = 1000;
const unitValue = (i: number) => 1 / (i + 3) + (i % 7 === 0 ? 1e6 : 0);

const harmonic: Metric = {
  id: 'harmonic',
  summary: 'a sum over units, kept per unit for --shards',
  datasetKinds: ['none'],
  params: [],
  async evaluate(_model, _data, _params, _ctx, inputs) {
    const { from, to } = inputs?.shard ? shardRange(UNITS, inputs.shard) : { from: 0, to: UNITS };
    const values = Array.from({ length: to - from }, (_, k) => unitValue(from + k));
    if (inputs?.shard)
      return {
        metric: 'harmonic',
        metricVersion: 1,
        values: {},
        sums: {},
        samples: values.length,
        shard: { ...inputs.shard, records: encodeFloats(values) },
      };
    return result(values);
  },
  mergeShards(parts) {
    return result(shardRecords<string>(parts, 'harmonic').flatMap((r) => [...decodeFloats(r)]));
  },
};

function result(values: readonly number[]): MetricResult {
  let sum = 0;
  for (const v of values) sum += v;
  return {
    metric: 'harmonic',
    metricVersion: 1,
    values: { sum: { value: sum, higherIsBetter: true } },
    sums: { sum, units: values.length },
    samples: values.length,
  };
}

const plain: Metric = { ...harmonic, id: 'plain', mergeShards: undefined };

const registry = new Registry();
registry.add(
  { name: 'test', version: '0.0.0' },
  metric(() => harmonic),
);
registry.add(
  { name: 'test', version: '0.0.0' },
  metric(() => plain),
);
const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
});

const model = join(mkdtempSync(join(tmpdir(), 'mc-eval-shards-')), 'm.onnx');
const g = new GraphBuilder({ opset: 17 });
g.output(g.identity(g.input('x', DataType.FLOAT, [1])), DataType.FLOAT, [1]);
writeFileSync(model, g.toBytes());
const request = { model, metrics: [{ id: 'harmonic', params: {} }], seed: 1 };

describe('shardRange', () => {
  it.each([
    [10, 3],
    [10, 1],
    [3, 8],
    [0, 2],
  ])('%i units in %i shards: contiguous ranges that tile the plan in order', (units, count) => {
    const ranges = Array.from({ length: count }, (_, index) => shardRange(units, { index, count }));
    expect(ranges[0].from).toBe(0);
    expect(ranges.at(-1)!.to).toBe(units);
    ranges.slice(1).forEach((r, i) => expect(r.from).toBe(ranges[i].to));
    if (count > units) expect(ranges.filter((r) => r.from === r.to)).toHaveLength(count - units);
  });
  it('10 units in 3 shards: 3, 3, 4', () => {
    expect([0, 1, 2].map((index) => shardRange(10, { index, count: 3 }))).toEqual([
      { from: 0, to: 3 },
      { from: 3, to: 6 },
      { from: 6, to: 10 },
    ]);
  });
});

it('encodeFloats keeps every bit (subnormals, -0, NaN, infinities)', () => {
  const values = [0.1, -0, 5e-324, Number.MAX_VALUE, -Infinity, NaN, 1 / 3];
  expect([...decodeFloats(encodeFloats(values))]).toEqual(values);
  expect(Object.is(decodeFloats(encodeFloats([-0]))[0], -0)).toBe(true);
});

describe('planEvalShards', () => {
  it.each<[string, Record<string, unknown>, number, RegExp]>([
    [
      'a metric with no mergeShards',
      { metrics: [{ id: 'plain', params: {} }] },
      2,
      /--metric plain cannot be split into shards/,
    ],
    ['--resume', { resume: '/tmp/r' }, 2, /--resume and --shards cannot be combined/],
    [
      'a .delta gate',
      { baseline: model, alsoOnBaseline: ['harmonic'] },
      2,
      /\.delta figure cannot be used with --shards/,
    ],
    ['0 shards', {}, 0, /--shards 0: expected a whole number/],
  ])('refuses %s as a user error', (_, extra, count, message) => {
    expect(() => planEvalShards(registry, { ...request, ...extra }, count)).toThrow(
      expect.objectContaining({ code: 'E_BAD_PARAM', message: expect.stringMatching(message) }),
    );
  });
  it('names the metrics that split in the hint', () => {
    expect(() => planEvalShards(registry, { ...request, metrics: [{ id: 'plain', params: {} }] }, 2)).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('harmonic can') }),
    );
  });
});

describe('evaluateSharded', () => {
  it.each([1, 3, 7, 1500])(
    '%i shards equal one run bit for bit; the shards’ partial sums added up would not',
    async (count) => {
      const [one] = await evaluateModel(registry, request, ctx);
      const [merged] = await evaluateSharded(registry, request, count, ctx);
      expect(merged.metric.sums).toEqual(one.metric.sums);
      expect(merged.metric.values).toEqual(one.metric.values);
      expect(merged.metric.details).toEqual({ shards: count });
      if (count === 3) {
        const partial = [0, 1, 2].map((index) => {
          const { from, to } = shardRange(UNITS, { index, count });
          let s = 0;
          for (let i = from; i < to; i++) s += unitValue(i);
          return s;
        });
        expect(partial[0] + partial[1] + partial[2]).not.toBe(one.metric.sums.sum);
      }
    },
  );
});
