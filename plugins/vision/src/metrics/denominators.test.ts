/**
 * The denominator audit (issue 17 item 1): accuracy divides by the images it scored, the set Dice
 * and the per-image mean by the pixels and images they summed; whatever the batch size and --limit.
 * The models' predictions are worked out by hand, so every count is checked against a recount.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, loadModelRef, parseParams, sha256Bytes } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { U8ImagesDataset } from '../datasets/u8-images.js';
import { U8MasksDataset } from '../datasets/u8-masks.js';
import { linearClassifier, tempDir, testContext, writeU8Set } from '../test-helpers.js';
import { AccuracyMetric } from './accuracy.js';
import { DiceMetric } from './dice.js';

const ctx = testContext();
const { dir, cleanup } = tempDir('mc-denominators-');
afterAll(cleanup);

// 13 one-pixel images 0, 20, ..., 240 with labels 0, 1, 2, 0, ...; the classifier gives logits [p, -p, 0] (--rescale 1)
const N = 13;
const pixels = Uint8Array.from({ length: N }, (_, i) => i * 20);
const labels = Uint8Array.from({ length: N }, (_, i) => i % 3);

describe('accuracy: samples scored = images in the dataset (after --limit), every batch size', () => {
  mkdirSync(join(dir, 'cls'));
  writeU8Set(join(dir, 'cls'), { images: pixels, labels, height: 1, width: 1, labelNames: ['a', 'b', 'c'] });
  writeFileSync(join(dir, 'cls.onnx'), linearClassifier({ chw: [1, 1, 1], weights: [[1, -1, 0]] }));

  it.each([
    [1, undefined],
    [4, undefined],
    [5, 11],
    [13, 7],
    [256, 1],
  ])('batch %i, limit %s', async (batch, limit) => {
    const data = await new U8ImagesDataset().open({ ref: 'cls', path: join(dir, 'cls'), limit }, ctx);
    const r = await new AccuracyMetric().evaluate(
      await loadModelRef(join(dir, 'cls.onnx')),
      data,
      parseParams(
        new AccuracyMetric().params,
        { 'batch-size': String(batch), rescale: '1', mean: '0', std: '1' },
        'accuracy',
      ),
      ctx,
    );
    const n = limit ?? N;
    // logits [p, -p, 0] for pixel p: class 0 when p > 0, class 2 (ties to the label) at p = 0
    const correct = Array.from({ length: n }, (_, i) => (pixels[i] > 0 ? labels[i] === 0 : labels[i] !== 1)).filter(
      Boolean,
    ).length;
    expect(r.samples).toBe(n);
    expect(r.sums.samples).toBe(data.size);
    expect(r.sums.correct_top1).toBe(correct);
    const perClass = r.details!.perClass as { count: number; correct: number }[];
    expect(perClass.reduce((t, c) => t + c.count, 0)).toBe(n);
    expect(perClass.reduce((t, c) => t + c.correct, 0)).toBe(r.sums.correct_top1);
    expect(r.values.top1.value).toBe(r.sums.correct_top1 / r.sums.samples);
    expect(r.values.top5.value).toBe(r.sums.correct_top5 / r.sums.samples);
  });
});

describe('dice: pixels and images summed = pixels and images scored, every batch size', () => {
  const h = 2;
  const w = 3;
  const images = Uint8Array.from({ length: N * h * w }, (_, i) => (i * 37) % 256);
  const masks = Uint8Array.from({ length: N * h * w }, (_, i) => ((i * 11) % 5 === 0 ? 1 : 0));
  mkdirSync(join(dir, 'seg'));
  writeFileSync(join(dir, 'seg', 'images.u8'), images);
  writeFileSync(join(dir, 'seg', 'masks.u8'), masks);
  const file = (name: string, bytes: Uint8Array) => ({
    path: name,
    dtype: 'uint8',
    shape: [N, h, w],
    bytes: bytes.length,
    sha256: sha256Bytes(bytes),
  });
  writeFileSync(
    join(dir, 'seg', 'meta.json'),
    JSON.stringify({
      kind: 'image-mask',
      count: N,
      height: h,
      width: w,
      channels: 1,
      files: { images: file('images.u8', images), masks: file('masks.u8', masks) },
    }),
  );
  const g = new GraphBuilder({ opset: 13 });
  const x = g.input('pixel_values', DataType.FLOAT, ['N', 1, h, w]);
  const [logits] = g.node(
    'Sub',
    [x, g.initializer('half', DataType.FLOAT, [], Float32Array.of(127.5))],
    {},
    { outputs: ['logits'] },
  );
  g.output(logits, DataType.FLOAT, ['N', 1, h, w]);
  writeFileSync(join(dir, 'seg.onnx'), g.toBytes());

  it.each([
    [1, undefined],
    [4, undefined],
    [5, 9],
    [64, 2],
  ])('batch %i, limit %s', async (batch, limit) => {
    const data = await new U8MasksDataset().open({ ref: 'seg', path: join(dir, 'seg'), limit }, ctx);
    const r = await new DiceMetric().evaluate(
      await loadModelRef(join(dir, 'seg.onnx')),
      data,
      parseParams(new DiceMetric().params, { 'batch-size': String(batch), rescale: '1', mean: '0', std: '1' }, 'dice'),
      ctx,
    );
    const n = limit ?? N;
    let inter = 0;
    let pred = 0;
    let truth = 0;
    let perImage = 0;
    for (let k = 0; k < n; k++) {
      let [i1, p1, t1] = [0, 0, 0];
      for (let q = k * h * w; q < (k + 1) * h * w; q++) {
        const a = images[q] > 127.5;
        const b = masks[q] === 1;
        i1 += a && b ? 1 : 0;
        p1 += a ? 1 : 0;
        t1 += b ? 1 : 0;
      }
      inter += i1;
      pred += p1;
      truth += t1;
      perImage += p1 + t1 === 0 ? 1 : (2 * i1) / (p1 + t1);
    }
    expect(r.samples).toBe(n);
    expect(r.sums).toMatchObject({ images: n, pixels: n * h * w, intersection: inter, predicted: pred, truth });
    expect(r.values.dice.value).toBeCloseTo((2 * inter) / (pred + truth), 12);
    expect(r.sums.perImageDiceSum).toBeCloseTo(perImage, 12);
    expect(r.values.mean_image_dice.value).toBeCloseTo(perImage / n, 12);
  });
});
