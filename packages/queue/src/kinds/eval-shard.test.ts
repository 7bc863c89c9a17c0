/**
 * The 'eval-shard' job kind: the worker accepts exactly what planEvalShards accepts (the planner mc
 * eval --shards uses), refuses fields and shards a coordinator never makes, and its shards' return
 * values merge (core's mergeEvalShards) into the single-process result bit for bit.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRunContext,
  DataType,
  decodeFloats,
  encodeFloats,
  evaluateModel,
  mergeEvalShards,
  metric,
  OrtSessionFactory,
  Registry,
  shardRange,
  shardRecords,
  type EvalResult,
  type Metric,
  type MetricResult,
} from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { JOB_KINDS } from '../job-kinds.js';
import { evalShardKind } from './eval-shard.js';

const UNITS = 50;
const sumOf = (values: readonly number[]): MetricResult => {
  let sum = 0;
  for (const v of values) sum += v;
  return {
    metric: 'thirds',
    metricVersion: 1,
    values: { sum: { value: sum, higherIsBetter: true } },
    sums: { sum },
    samples: values.length,
  };
};
const thirds: Metric = {
  id: 'thirds',
  summary: 'Σ (i+1)/3 over 50 units, kept per unit',
  datasetKinds: ['none'],
  params: [{ name: 'scale', type: 'number', min: 0, max: 10, default: 1, description: 'multiplies each unit' }],
  async evaluate(_m, _d, params, _ctx, inputs) {
    const { from, to } = inputs?.shard ? shardRange(UNITS, inputs.shard) : { from: 0, to: UNITS };
    const values = Array.from({ length: to - from }, (_, k) => ((from + k + 1) / 3) * (params.scale as number));
    return inputs?.shard ? { ...sumOf([]), shard: { ...inputs.shard, records: encodeFloats(values) } } : sumOf(values);
  },
  mergeShards: (parts) => sumOf(shardRecords<string>(parts, 'thirds').flatMap((r) => [...decodeFloats(r)])),
};
const registry = new Registry();
registry.add(
  { name: 'test', version: '0.0.0' },
  metric(() => thirds),
);
const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
});

const model = join(mkdtempSync(join(tmpdir(), 'mc-eval-shard-')), 'm.onnx');
const g = new GraphBuilder({ opset: 17 });
g.output(g.identity(g.input('x', DataType.FLOAT, [1])), DataType.FLOAT, [1]);
writeFileSync(model, g.toBytes());
const request = { model, metrics: [{ id: 'thirds', params: { scale: 0.7 } }], seed: 1, alsoOnBaseline: [] };
const job = (extra: Record<string, unknown> = {}, shard = { index: 0, count: 3 }) => ({
  request: { ...request, ...extra },
  shard,
});

describe('eval-shard jobs', () => {
  it('accepts what mc eval --shards makes', () => {
    expect(() => JOB_KINDS.accept('eval-shard', job(), registry)).not.toThrow();
  });
  it.each<[string, unknown, RegExp]>([
    ['a field the request does not take', job({ resume: '/tmp' }), /has a field it does not take: "resume"/],
    ['a shard past the count', job({}, { index: 3, count: 3 }), /shard 3 of 3/],
    ['a parameter the CLI refuses', job({ metrics: [{ id: 'thirds', params: { scale: 99 } }] }), /scale/],
    ['a metric mc does not have', job({ metrics: [{ id: 'nope', params: {} }] }), /nope/],
    ['a .delta gate', job({ alsoOnBaseline: ['thirds'], baseline: model }), /cannot be used with --shards/],
  ])('refuses %s', (_, data, message) => {
    expect(() => JOB_KINDS.accept('eval-shard', data, registry)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(message) }),
    );
  });
  it('3 jobs run as a worker runs them merge to the single-process result bit for bit', async () => {
    const parts: EvalResult[][] = [];
    for (let index = 0; index < 3; index++)
      parts.push(
        (await evalShardKind.run(job({}, { index, count: 3 }), {
          registry,
          run: ctx,
          queue: 'q',
          jobId: `shard-${index}`,
        })) as EvalResult[],
      );
    const [merged] = mergeEvalShards(registry, parts);
    const [one] = await evaluateModel(registry, request, ctx);
    expect(merged.metric.sums).toEqual(one.metric.sums);
    expect(merged.metric.values).toEqual(one.metric.values);
  });
});
