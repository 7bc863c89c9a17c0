/**
 * The calibration source on images: seeded draw without replacement, the image metrics'
 * preprocessing from config.json, the model's one image input, labels never read; and each
 * mismatch between the dataset and the model (size, channels, text for an image model, images for a
 * language model) one UserError.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRunContext } from '../context.js';
import type { DatasetBase, DatasetProvider, RunContext } from '../contracts.js';
import { datasetProvider } from '../declarations.js';
import { preprocess } from '../image/preprocess.js';
import { DataType } from '../onnx/dtypes.js';
import { Registry } from '../registry.js';
import { OrtSessionFactory } from '../session/factory.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { drawIndices } from './image-source.js';
import { createCalibration } from './source.js';

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..', '../shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm');

const COUNT = 40;
const [C, H, W] = [1, 6, 6];
const PLANE = C * H * W;
const PIXELS = Uint8Array.from({ length: COUNT * PLANE }, (_, i) => (i * 37 + Math.floor(i / PLANE) * 11) % 256);
const CONFIG = { preprocessing: { rescale_factor: 1 / 255, mean: [0.5], std: [0.25] } };

/** An image kind core knows nothing of, declared as a plugin would: uint8 NCHW pixels in batches. */
interface ImageScanDataset extends DatasetBase {
  readonly kind: 'image-scan';
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** present, but calibration must never read it */
  readonly labels: never;
  batches(
    batchSize: number,
  ): AsyncIterable<{ readonly pixels: Uint8Array; readonly count: number; readonly offset: number }>;
}

declare module '../contracts.js' {
  interface DatasetKinds {
    'image-scan': ImageScanDataset;
  }
}

/** An image dataset of a kind core does not know, whose labels and masks throw when read. */
function imageProvider(dims = { channels: C, height: H, width: W }, pixels = PIXELS): DatasetProvider<'image-scan'> {
  const kind = 'image-scan';
  const plane = dims.channels * dims.height * dims.width;
  const count = pixels.length / plane;
  return {
    id: 'fake-images',
    kind,
    summary: 'test',
    canOpen: async () => true,
    open: async (ref) => ({
      kind,
      provider: 'fake-images',
      ref: ref.ref,
      digest: 'd1g357',
      size: count,
      ...dims,
      get labels(): never {
        throw new Error('calibration read the labels');
      },
      async *batches(n: number) {
        for (let offset = 0; offset < count; offset += n) {
          const k = Math.min(n, count - offset);
          const batch = { pixels: pixels.subarray(offset * plane, (offset + k) * plane), count: k, offset };
          yield Object.defineProperties(batch, {
            labels: {
              get: () => {
                throw new Error('calibration read the labels');
              },
            },
            masks: {
              get: () => {
                throw new Error('calibration read the masks');
              },
            },
          });
        }
      },
    }),
  };
}

function textProvider(): DatasetProvider {
  return {
    id: 'fake-text',
    kind: 'text',
    summary: 'test',
    canOpen: async () => true,
    open: async (ref) => ({
      kind: 'text',
      provider: 'fake-text',
      ref: ref.ref,
      digest: 'abc',
      size: 1,
      subsets: [{ name: 'x', records: ['some text'] }],
      join: '\n\n',
    }),
  };
}

/** A model folder: pixel_values [batch, 1, 6, 6] -> Conv 3x3 -> y, with config.json. */
function imageModel(config: object = CONFIG, batch: string | number = 'batch'): string {
  const g = new GraphBuilder();
  const x = g.input('pixel_values', DataType.FLOAT, [batch, C, H, W]);
  g.output(g.conv(x, g.initializer('w', DataType.FLOAT, [2, 1, 3, 3], new Float32Array(18).fill(0.1))), DataType.FLOAT);
  const dir = mkdtempSync(join(tmpdir(), 'mc-imgcal-'));
  writeFileSync(join(dir, 'model.onnx'), g.toBytes());
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

function setup(provider: DatasetProvider) {
  const registry = new Registry();
  registry.add(
    { name: 'test', version: '0' },
    datasetProvider(() => provider),
  );
  const dir = mkdtempSync(join(tmpdir(), 'mc-imgcal-data-'));
  return { registry, data: dir };
}

const warnings: string[] = [];
const ctx = (seed = 0): RunContext => {
  const base = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent', seed });
  return { ...base, log: { ...base.log, warn: (m: string) => warnings.push(m) } };
};

describe('createCalibration on images', () => {
  it('draws seeded images without replacement, preprocesses them as config.json says, feeds the image input in batches, and never reads labels or masks (they throw here)', async () => {
    const s = setup(imageProvider());
    const model = imageModel();
    const set = await createCalibration({ dataset: s.data, samples: 20, model, registry: s.registry }, ctx(3)).load();
    expect(set.info).toMatchObject({
      kind: 'image',
      provider: 'fake-images',
      digest: 'd1g357',
      samples: 20,
      seed: 3,
      image: { input: 'pixel_values', channels: 1, height: 6, width: 6 },
    });
    expect(set.info.image?.preprocess).toMatch(/mean \[0.5\], std \[0.25\] \(config.json\)/);
    // 16 per run while the batch dimension is free, then the rest
    expect(set.samples.map((x) => (x.kind === 'feeds' ? x.feeds.pixel_values.dims : []))).toEqual([
      [16, 1, 6, 6],
      [4, 1, 6, 6],
    ]);

    const chosen = drawIndices(COUNT, 20, 3);
    expect(new Set(chosen).size).toBe(20);
    const want = preprocess(
      Uint8Array.from(chosen.flatMap((i) => Array.from(PIXELS.subarray(i * PLANE, (i + 1) * PLANE)))),
      { count: 20, channels: 1, height: 6, width: 6 },
      { rescale: 1 / 255, mean: [0.5], std: [0.25] },
    );
    const got = set.samples.flatMap((x) =>
      x.kind === 'feeds' ? Array.from(x.feeds.pixel_values.data as Float32Array) : [],
    );
    expect(got).toEqual(Array.from(want));
    expect(want[0]).toBe(Math.fround((PIXELS[chosen[0] * PLANE] / 255 - 0.5) / 0.25)); // the formula, by hand, on one pixel

    const again = await createCalibration({ dataset: s.data, samples: 20, model, registry: s.registry }, ctx(3)).load();
    const other = await createCalibration({ dataset: s.data, samples: 20, model, registry: s.registry }, ctx(4)).load();
    const data = (x: typeof set) =>
      x.samples.map((y) => (y.kind === 'feeds' ? Array.from(y.feeds.pixel_values.data as Float32Array) : []));
    expect(data(again)).toEqual(data(set));
    expect(data(other)).not.toEqual(data(set));
  });

  it('takes every image once when --calib-samples is larger, and says so', async () => {
    const s = setup(imageProvider());
    warnings.length = 0;
    const set = await createCalibration(
      { dataset: s.data, samples: 128, model: imageModel(), registry: s.registry },
      ctx(),
    ).load();
    expect(set.info.samples).toBe(COUNT);
    expect(warnings.join('\n')).toMatch(/--calib-samples 128: .* holds 40 images; calibrating on all of them/);
  });

  it("feeds batches of exactly the model's fixed batch dimension", async () => {
    const s = setup(imageProvider());
    const set = await createCalibration(
      { dataset: s.data, samples: 5, model: imageModel(CONFIG, 1), registry: s.registry },
      ctx(),
    ).load();
    expect(set.samples.map((x) => (x.kind === 'feeds' ? x.feeds.pixel_values.dims[0] : 0))).toEqual([1, 1, 1, 1, 1]);
  });

  it.each([
    [
      'images of another size',
      () => imageProvider({ channels: 1, height: 5, width: 5 }, new Uint8Array(3 * 25)),
      /has 1x5x5 images; .* takes 1x6x6 \(height, width differ\)/,
    ],
    [
      'images of other channels',
      () => imageProvider({ channels: 3, height: 6, width: 6 }, new Uint8Array(3 * 108)),
      /has 3x6x6 images; .* takes 1x6x6 \(channels differs\)/,
    ],
    [
      'a text dataset for an image model',
      textProvider,
      /is text, but .* takes images \(pixel_values float32 \[batch, 1, 6, 6\]\)/,
    ],
  ])('%s: one UserError', async (_name, make, message) => {
    const s = setup(make());
    await expect(
      createCalibration({ dataset: s.data, samples: 2, model: imageModel(), registry: s.registry }, ctx()).load(),
    ).rejects.toMatchObject({
      code: 'E_WRONG_DATASET_KIND',
      message: expect.stringMatching(message),
    });
  });

  it("config.json's size is checked where the graph leaves the dims free", async () => {
    const s = setup(imageProvider());
    const g = new GraphBuilder();
    g.output(g.relu(g.input('x', DataType.FLOAT, ['n', 'c', 'h', 'w'])), DataType.FLOAT);
    const dir = mkdtempSync(join(tmpdir(), 'mc-imgcal-'));
    writeFileSync(join(dir, 'model.onnx'), g.toBytes());
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ preprocessing: { size: { height: 28, width: 28 }, channels: 1 } }),
    );
    await expect(
      createCalibration({ dataset: s.data, samples: 2, model: dir, registry: s.registry }, ctx()).load(),
    ).rejects.toMatchObject({ message: expect.stringMatching(/takes 1x28x28/) });
  });

  (existsSync(join(LM, 'model.onnx')) ? it : it.skip)(
    'an image dataset for a language model: one UserError naming its input_ids',
    async () => {
      const s = setup(imageProvider());
      await expect(
        createCalibration({ dataset: s.data, samples: 2, model: LM, registry: s.registry }, ctx()).load(),
      ).rejects.toMatchObject({
        code: 'E_WRONG_DATASET_KIND',
        message: expect.stringMatching(/holds images, but .* takes input_ids int64 .*\(a language model\)/),
      });
    },
  );
});

describe('drawIndices', () => {
  it('is a seeded choice without replacement, sorted', () => {
    const a = drawIndices(1000, 50, 9);
    expect(a).toEqual([...a].sort((x, y) => x - y));
    expect(new Set(a).size).toBe(50);
    expect(drawIndices(1000, 50, 9)).toEqual(a);
    expect(drawIndices(10, 50, 9)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
