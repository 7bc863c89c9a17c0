/**
 * int8 on the shared real model (../shared/models/mnist-cnn, README "Reference points": int8
 * symmetric per output channel keeps 98.60 % and moves logits by at most 0.09 on the 2000 digits).
 * Here: the 16 digits of mnist-test-mini, run in onnxruntime-node with default session options.
 *
 * Expected figures, by hand from the model's initializer table with --min-size 1024: the four
 * pointwise convs (2048 + 6144 + 15360 + 30720), the last depthwise conv (160x1x3x3 = 1440) and
 * both Gemm weights (24576 + 1280): 7 tensors, 81568 weights, 64+96+160+192+160+128+10 = 810
 * channels; bits/weight = (8 * 81568 + (32 + 8) * 810) / 81568.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxModel, parseParams } from '@mc-kit/core';
import { Int8Compressor, INT8_PARAMS } from './plugin.js';
import { runModel, testContext } from './testkit.fixture.js';

/** The shared assets folder sits beside the repo (../shared from the repo root). */
const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..', '../shared');
const MODEL = join(SHARED, 'models/mnist-cnn/model.onnx');
const DATA = join(SHARED, 'data/mnist-test-mini');
const present = existsSync(MODEL) && existsSync(join(DATA, 'images.u8'));
if (!present)
  console.warn(
    `int8 mnist-cnn test skipped: ${MODEL} or ${DATA} is absent (the shared folder sits beside the repo, at ../shared)`,
  );

const argmax = (row: Float32Array) => row.indexOf(Math.max(...row));

(present ? describe : describe.skip)('int8 on mnist-cnn', () => {
  it('keeps every argmax on mnist-test-mini and moves logits by < 0.2', async () => {
    const images = readFileSync(join(DATA, 'images.u8'));
    const labels = readFileSync(join(DATA, 'labels.u8'));
    const n = labels.length;
    const pixels = Float32Array.from(images, (p) => p / 255);
    const feeds = { pixel_values: { type: 'float32' as const, data: pixels, dims: [n, 1, 28, 28] } };

    const dense = await OnnxModel.load(MODEL);
    const model = await OnnxModel.load(MODEL);
    const report = await new Int8Compressor().compress(model, parseParams(INT8_PARAMS, {}, 'int8'), testContext());

    const quantized = report.tensors.filter((t) => t.action === 'int8');
    expect(quantized.map((t) => t.name).sort()).toEqual([
      'blocks.0.1.0.weight',
      'blocks.1.1.0.weight',
      'blocks.2.1.0.weight',
      'blocks.3.0.0.weight',
      'blocks.3.1.0.weight',
      'head.1.weight',
      'head.4.weight',
    ]);
    expect(quantized.reduce((s, t) => s + t.elements, 0)).toBe(81568);
    expect(report.bitsPerWeight).toBeCloseTo((8 * 81568 + 40 * 810) / 81568, 12); // 8.397214...
    expect(report.tensors.find((t) => t.name === 'stem.0.weight')?.reason).toBe('288 elements < --min-size 1024');
    expect(model.opset('')).toBe(17); // already >= 13: untouched

    const [want, got] = await Promise.all([runModel(dense, feeds), runModel(model, feeds)]);
    const a = want.logits.data as Float32Array;
    const b = got.logits.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    for (let k = 0; k < n; k++) {
      const rowA = a.subarray(10 * k, 10 * k + 10);
      const rowB = b.subarray(10 * k, 10 * k + 10);
      expect(argmax(rowB)).toBe(argmax(rowA));
      expect(argmax(rowA)).toBe(labels[k]); // README: 16/16 correct in onnxruntime-node
    }
    expect(maxDiff).toBeLessThan(0.2); // 0.039 measured here (onnxruntime-node 1.30, CPU)
  });
});
