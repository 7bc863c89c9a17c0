/**
 * LatencyMetric.evaluate on small GraphBuilder models, each timed in its own child process (the
 * plugin's dist/child.js: run after `npm run build`). Times are only checked for consistency (never
 * against a target: STYLE.md, speed is for bench/); peak RSS is checked to hold a model's weights.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRunContext,
  DataType,
  loadModelRef,
  NO_DATASET,
  OrtSessionFactory,
  parseParams,
  type ImageClassDataset,
} from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { LatencyMetric } from './metric.js';
import { summarize } from './stats.js';

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
const metric = new LatencyMetric();
const params = (raw: Record<string, unknown> = {}) =>
  parseParams(metric.params, { runs: 5, warmup: 1, ...raw }, 'latency');

/** x [N, d] -> Relu(x W): W d x d float32 (d = 2048: 16 MiB of weights). */
function denseModel(d: number, options: { image?: boolean; broken?: boolean } = {}): string {
  const g = new GraphBuilder({ opset: 17 });
  let x = options.image ? g.input('pixels', DataType.FLOAT, ['N', 1, 4, 4]) : g.input('x', DataType.FLOAT, ['N', d]);
  if (options.image) x = g.reshape(x, [-1, d]);
  const w = g.initializer(
    'w',
    DataType.FLOAT,
    [d, d],
    Float32Array.from({ length: d * d }, (_, i) => ((i * 7919) % 13) / 13 - 0.5),
  );
  let y = g.relu(g.matMul(x, w));
  if (options.broken) y = g.reshape(y, [7, -1]); // no element count of N x d is a multiple of 7 for N = 1, d = 16
  g.output(y, DataType.FLOAT);
  const dir = mkdtempSync(join(tmpdir(), 'mc-latency-test-'));
  writeFileSync(join(dir, 'model.onnx'), g.toBytes());
  return join(dir, 'model.onnx');
}

const none = NO_DATASET;

describe('latency', () => {
  it('times runs on inputs shaped from the graph, and reports start, p50 <= p90 and peak RSS', async () => {
    const r = await metric.evaluate(await loadModelRef(denseModel(64)), none, params({ 'batch-size': 3 }), ctx);
    expect(Object.keys(r.values)[0]).toBe('p50_ms');
    const runs = r.details?.runsMs as number[];
    expect(runs).toHaveLength(5);
    expect(r.values.p50_ms.value).toBe(summarize(runs).p50);
    expect(r.values.p90_ms.value).toBe(summarize(runs).p90);
    expect(r.values.p50_ms.value).toBeLessThanOrEqual(r.values.p90_ms.value);
    expect(r.values.start_ms.value).toBeGreaterThan(0);
    expect(r.values.peak_rss_mib.value).toBeGreaterThanOrEqual(r.values.base_rss_mib.value);
    expect(r.sums.runs).toBe(5);
    expect(r.sums.sum_ms).toBeCloseTo(
      runs.reduce((a, b) => a + b, 0),
      9,
    );
    expect(r.details?.inputs).toMatch(/^x \[3, 64\]: seeded random values/);
  });

  it("counts the model's weights in its peak RSS (its own child process), not the parent's memory", async () => {
    const small = await metric.evaluate(await loadModelRef(denseModel(16)), none, params(), ctx);
    const large = await metric.evaluate(await loadModelRef(denseModel(2048)), none, params(), ctx); // 16 MiB of weights
    const held = (r: typeof small) => r.values.peak_rss_mib.value - r.values.base_rss_mib.value;
    expect(held(large) - held(small)).toBeGreaterThan(16);
  });

  it('gives ratios to --baseline, measured on the same inputs', async () => {
    const r = await metric.evaluate(await loadModelRef(denseModel(256)), none, params(), ctx, {
      baseline: await loadModelRef(denseModel(256)),
    });
    const base = r.details?.baseline as { runsMs: number[]; startMs: number; peakRssMiB: number };
    expect(r.values.p50_ratio.value).toBeCloseTo(r.values.p50_ms.value / summarize(base.runsMs).p50, 12);
    expect(r.values.p90_ratio.value).toBeCloseTo(r.values.p90_ms.value / summarize(base.runsMs).p90, 12);
    expect(r.values.start_ratio.value).toBeCloseTo(r.values.start_ms.value / base.startMs, 12);
    expect(r.values.peak_rss_ratio.value).toBeCloseTo(r.values.peak_rss_mib.value / base.peakRssMiB, 12);
    expect(r.sums['baseline.runs']).toBe(5);
  });

  it('feeds the images of an image dataset, and refuses one whose images the model does not take', async () => {
    const images = (side: number): ImageClassDataset => ({
      kind: 'image-class',
      provider: 'test',
      ref: 'memory',
      digest: 'x',
      size: 2,
      height: side,
      width: side,
      channels: 1,
      labels: ['0', '1'],
      async *batches(n: number) {
        yield { pixels: new Uint8Array(2 * side * side).fill(255), labels: Uint8Array.of(0, 1), count: 2, offset: 0 };
        void n;
      },
    });
    const r = await metric.evaluate(
      await loadModelRef(denseModel(16, { image: true })),
      images(4),
      params({ 'batch-size': 3 }),
      ctx,
    );
    expect(r.details?.inputs).toMatch(/^pixels \[3, 1, 4, 4\]: the first images of memory/);
    await expect(
      metric.evaluate(await loadModelRef(denseModel(16, { image: true })), images(5), params(), ctx),
    ).rejects.toMatchObject({ code: 'E_WRONG_DATASET_KIND' });
  });

  it('ends with one line naming the model when it cannot run', async () => {
    await expect(
      metric.evaluate(await loadModelRef(denseModel(16, { broken: true })), none, params(), ctx),
    ).rejects.toMatchObject({
      code: 'E_BAD_MODEL',
      message: expect.stringMatching(/^latency: .*model\.onnx did not run: [^\n]+$/),
    });
  });
});
