/**
 * The real model: mnist-cnn on the shipped MNIST test digits.
 *
 * Golden values and where they come from:
 *  - top-1 1972/2000 = 0.986 and 16/16 on the mini set: models/mnist-cnn/README.md (and config.json
 *    reference_metrics), measured with onnxruntime-node 1.30.0 CPU by build/check_onnx.js
 *    (argmax of logits on uint8/255 float32 inputs, batch 100).
 *  - top-5 2000/2000: cross-checked outside this code with a sort-based top-5 over the same
 *    onnxruntime-node outputs (a throwaway script beside check_onnx.js's loop).
 * Counts are asserted exactly: the smallest gap between the label's logit and the logit that
 * decides top-1 is 0.021 over the 2000 digits (top-5: 0.21), against ~1e-6 logit differences
 * between runtimes, so one flipped digit means preprocessing or counting changed.
 */
import { join } from 'node:path';
import { loadModelRef, parseParams } from '@mc-kit/core';
import { U8ImagesDataset } from '../datasets/u8-images.js';
import { HAS_SHARED, SHARED, testContext } from '../test-helpers.js';
import { AccuracyMetric } from './accuracy.js';

const run = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) console.warn(`accuracy.mnist.test: ${SHARED} is absent; skipping the mnist-cnn golden tests`);

run('accuracy on mnist-cnn (golden values from its README)', () => {
  const metric = new AccuracyMetric();
  const ctx = testContext();
  const model = () => loadModelRef(join(SHARED, 'models', 'mnist-cnn'));
  const open = async (name: string) => new U8ImagesDataset().open({ ref: name, path: join(SHARED, 'data', name) }, ctx);

  it('is 16/16 on mnist-test-mini', async () => {
    const r = await metric.evaluate(
      await model(),
      await open('mnist-test-mini'),
      parseParams(metric.params, {}, 'accuracy'),
      ctx,
    );
    expect(r.sums).toEqual({ correct_top1: 16, correct_top5: 16, samples: 16 });
    expect(r.values.top1).toEqual({ value: 1, stderr: 0, higherIsBetter: true });
  });

  it('is exactly 1972/2000 = 0.986 top-1 and 2000/2000 top-5 on mnist-test', async () => {
    const m = await model();
    const ds = await open('mnist-test');
    expect(ds.digest).toMatch(/^[0-9a-f]{64}$/);
    const r = await metric.evaluate(m, ds, parseParams(metric.params, {}, 'accuracy'), ctx);
    expect(r.sums).toEqual({ correct_top1: 1972, correct_top5: 2000, samples: 2000 });
    expect(r.values.top1.value).toBe(0.986);
    expect(r.values.top1.stderr).toBe(Math.sqrt((0.986 * (1 - 0.986)) / 2000));
    const perClass = r.details!.perClass as { label: string; correct: number; count: number }[];
    expect(perClass.map((c) => c.count)).toEqual(new Array(10).fill(200));
    expect(perClass.reduce((a, c) => a + c.correct, 0)).toBe(1972);
    const confusion = r.details!.confusion as number[][];
    expect(confusion.reduce((a, row, i) => a + row[i], 0)).toBe(1972);
    // the config.json spec is the one used: uint8 / 255, normalisation inside the graph
    expect(r.details!.preprocess).toMatchObject({
      rescale: 0.00392156862745098,
      mean: [0],
      std: [1],
      source: { rescale: 'config' },
    });
  });

  it('gives the same counts at batch sizes 7 and 4096', async () => {
    const m = await model();
    const ds = await open('mnist-test');
    for (const bs of [7, 4096]) {
      const r = await metric.evaluate(m, ds, parseParams(metric.params, { 'batch-size': bs }, 'accuracy'), ctx);
      expect(r.sums).toEqual({ correct_top1: 1972, correct_top5: 2000, samples: 2000 });
    }
  });
});
