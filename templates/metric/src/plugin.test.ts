/**
 * The metric on a real (tiny) ONNX model and an in-memory dataset, against values worked out by
 * hand. REPLACE the model, data and numbers with your metric's; keep the shape of the test.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRunContext,
  DataType,
  OrtSessionFactory,
  parseParams,
  type ImageClassDataset,
  type LoadedModel,
} from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { CrossEntropyMetric } from './plugin.js';

/** logits = flatten(x) · I: the logits are the (rescaled) pixels themselves. */
async function identityClassifier(): Promise<LoadedModel> {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('pixel_values', DataType.FLOAT, ['batch', 1, 1, 2]);
  const w = g.initializer('w', DataType.FLOAT, [2, 2], new Float32Array([1, 0, 0, 1]));
  g.output(g.matMul(g.flatten(x), w), DataType.FLOAT, ['batch', 2]);
  const path = join(mkdtempSync(join(tmpdir(), 'metric-test-')), 'model.onnx');
  await g.build().save(path);
  return { ref: path, path, sha256: '', bytes: 0 };
}

/** Three 1x2 images: [0, 0] label 1, [2, 0] label 0, [0, 3] label 0. */
function threeImages(): ImageClassDataset {
  const pixels = new Uint8Array([0, 0, 2, 0, 0, 3]);
  const labels = new Uint8Array([1, 0, 0]);
  return {
    kind: 'image-class',
    provider: 'test',
    ref: 'three',
    digest: '',
    size: 3,
    height: 1,
    width: 2,
    channels: 1,
    labels: ['a', 'b'],
    async *batches(n) {
      for (let o = 0; o < 3; o += n) {
        const count = Math.min(n, 3 - o);
        yield { pixels: pixels.slice(2 * o, 2 * (o + count)), labels: labels.slice(o, o + count), count, offset: o };
      }
    },
  };
}

const ctx = createRunContext({ json: true, sessions: new OrtSessionFactory({ device: 'cpu' }) });
const metric = new CrossEntropyMetric();

describe('cross-entropy', () => {
  it('scores a model on a dataset: the mean nll worked out by hand, in batches', async () => {
    const params = parseParams(metric.params, { 'batch-size': 2, rescale: 1 }, metric.id);
    const result = await metric.evaluate(await identityClassifier(), threeImages(), params, ctx);
    // logits [0, 0] label 1: ln 2; [2, 0] label 0: ln(1 + e^-2); [0, 3] label 0: ln(1 + e^3)
    const each = [Math.LN2, Math.log(1 + Math.exp(-2)), Math.log(1 + Math.exp(3))];
    expect(result.samples).toBe(3);
    expect(result.values.nll.value).toBeCloseTo((each[0] + each[1] + each[2]) / 3, 12);
    expect(result.values.nll.higherIsBetter).toBe(false);
    expect(result.sums.nll_sum).toBeCloseTo(each[0] + each[1] + each[2], 12);
    expect(result.metricVersion).toBe(1);
  });

  it('declares what it scores and its defaults', () => {
    expect(metric.datasetKinds).toEqual(['image-class']);
    expect(parseParams(metric.params, {}, metric.id)).toEqual({ 'batch-size': 64, rescale: 1 / 255 });
  });
});
