/**
 * The dice metric end to end on tiny files: a one-op model whose logits are a known function of the
 * pixels (logit = pixel/255 - 0.5), so the prediction at every pixel is worked out by hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, loadModelRef, parseParams, sha256Bytes } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { U8MasksDataset } from '../datasets/u8-masks.js';
import { HAS_SHARED, SHARED, tempDir, testContext } from '../test-helpers.js';
import { DiceMetric } from './dice.js';

/** x [N,1,H,W] -> x - 0.5 (pixels arrive as /255), or two channels [0, x - 0.5] with `twoChannels`. */
function offsetModel(h: number, w: number, twoChannels = false): Uint8Array {
  const g = new GraphBuilder({ opset: 13 });
  const x = g.input('pixel_values', DataType.FLOAT, ['N', 1, h, w]);
  const half = g.initializer('half', DataType.FLOAT, [], Float32Array.of(0.5));
  const [shifted] = g.node('Sub', [x, half], {}, { outputs: twoChannels ? ['fg'] : ['logits'] });
  if (!twoChannels) {
    g.output(shifted, DataType.FLOAT, ['N', 1, h, w]);
    return g.toBytes();
  }
  const zero = g.initializer('zero', DataType.FLOAT, [], Float32Array.of(0));
  const [bg] = g.node('Mul', [shifted, zero], {}, { outputs: ['bg'] });
  const [both] = g.node('Concat', [bg, shifted], { axis: 1 }, { outputs: ['logits'] });
  g.output(both, DataType.FLOAT, ['N', 2, h, w]);
  return g.toBytes();
}

function writeMaskSet(
  dir: string,
  images: Uint8Array,
  masks: Uint8Array,
  count: number,
  h: number,
  w: number,
  patch: Record<string, unknown> = {},
): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'images.u8'), images);
  writeFileSync(join(dir, 'masks.u8'), masks);
  const meta = {
    kind: 'image-mask',
    count,
    height: h,
    width: w,
    channels: 1,
    files: {
      images: {
        path: 'images.u8',
        dtype: 'uint8',
        shape: [count, h, w],
        bytes: images.length,
        sha256: sha256Bytes(images),
      },
      masks: {
        path: 'masks.u8',
        dtype: 'uint8',
        shape: [count, h, w],
        bytes: masks.length,
        sha256: sha256Bytes(masks),
      },
    },
    labels: ['background', 'digit'],
    ...patch,
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
}

describe('dice metric on hand-made masks', () => {
  const ctx = testContext();
  const metric = new DiceMetric();
  const { dir, cleanup } = tempDir('mc-dice-');
  afterAll(cleanup);
  // two 2x2 images; logit = p/255 - 0.5 is > 0 for p >= 128, > 0.2 for p >= 179
  const images = Uint8Array.from([200, 150, 10, 255, /**/ 0, 0, 130, 0]);
  const masks = Uint8Array.from([1, 0, 1, 1, /**/ 0, 0, 1, 1]);
  writeMaskSet(join(dir, 'set'), images, masks, 2, 2, 2);
  writeFileSync(join(dir, 'model.onnx'), offsetModel(2, 2));
  writeFileSync(join(dir, 'model2.onnx'), offsetModel(2, 2, true));
  const open = async (sub = 'set') => new U8MasksDataset().open({ ref: sub, path: join(dir, sub) }, ctx);

  it('thresholds logits at 0 by default', async () => {
    // image 1: A = {0,1,3} B = {0,2,3}: ∩ 2; image 2: A = {2} B = {2,3}: ∩ 1
    const r = await metric.evaluate(
      await loadModelRef(join(dir, 'model.onnx')),
      await open(),
      parseParams(metric.params, {}, 'dice'),
      ctx,
    );
    expect(r.sums).toMatchObject({ intersection: 3, predicted: 4, truth: 5, images: 2, pixels: 8 });
    expect(r.values.dice.value).toBeCloseTo(6 / 9, 15);
    expect(r.values.mean_image_dice.value).toBeCloseTo((4 / 6 + 2 / 3) / 2, 15);
  });

  it('--threshold moves the decision', async () => {
    // logit > 0.2: image 1: A = {0,3} ∩ B = {0,3}; image 2: A = {} -> ∩ 0
    const r = await metric.evaluate(
      await loadModelRef(join(dir, 'model.onnx')),
      await open(),
      parseParams(metric.params, { threshold: 0.2 }, 'dice'),
      ctx,
    );
    expect(r.sums).toMatchObject({ intersection: 2, predicted: 2, truth: 5 });
    expect(r.values.dice.value).toBeCloseTo(4 / 7, 15);
  });

  it('reads a two-channel output as argmax (background, foreground)', async () => {
    const r = await metric.evaluate(
      await loadModelRef(join(dir, 'model2.onnx')),
      await open(),
      parseParams(metric.params, {}, 'dice'),
      ctx,
    );
    expect(r.sums).toMatchObject({ intersection: 3, predicted: 4, truth: 5 });
  });

  it('refuses masks that are not 0/1, naming the byte', async () => {
    writeMaskSet(join(dir, 'bad'), images, Uint8Array.from([1, 0, 2, 1, 0, 0, 0, 0]), 2, 2, 2);
    await expect(open('bad')).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: expect.stringContaining('value 2 at byte 2'),
    });
  });

  it('refuses a folder whose masks file is missing or whose kind is not image-mask', async () => {
    writeMaskSet(join(dir, 'kind'), images, masks, 2, 2, 2, { kind: 'image-class' });
    await expect(open('kind')).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: expect.stringContaining('not "image-mask"'),
    });
    writeMaskSet(join(dir, 'short'), images, masks.subarray(0, 4), 2, 2, 2, {});
    await expect(open('short')).rejects.toMatchObject({ code: 'E_BAD_DATASET' });
  });
});

const shared = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) console.warn(`dice.test: ${SHARED} is absent; skipping the digits-unet golden test`);

shared('dice on digits-unet (golden counts from its README)', () => {
  it('is 2*99495/(102936+102157) = 0.9702 over the 500 test images', async () => {
    const ctx = testContext();
    const metric = new DiceMetric();
    const ds = await new U8MasksDataset().open(
      { ref: 'digits-seg-test', path: join(SHARED, 'data', 'digits-seg-test') },
      ctx,
    );
    const r = await metric.evaluate(
      await loadModelRef(join(SHARED, 'models', 'digits-unet')),
      ds,
      parseParams(metric.params, {}, 'dice'),
      ctx,
    );
    // README: 102,157 mask pixels, 102,936 predicted, 99,495 in both
    expect(r.sums).toMatchObject({
      intersection: 99495,
      predicted: 102936,
      truth: 102157,
      images: 500,
      pixels: 500 * 64 * 64,
    });
    expect(r.values.dice.value).toBeCloseTo((2 * 99495) / (102936 + 102157), 12);
  });
});
