/**
 * The real mnist-cnn model from the shared folder (see its README: 24 float32 initializers, opset 17,
 * IR 8, 84,620 float parameters after BatchNorm folding; 16/16 of the mini set correct).
 */
import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OrtSessionFactory } from '../session/factory.js';
import { DataType } from './dtypes.js';
import { OnnxModel } from './model.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const SHARED = resolve(repoRoot, '../shared');
const MODEL = join(SHARED, 'models/mnist-cnn/model.onnx');
const MINI = join(SHARED, 'data/mnist-test-mini');
const haveShared = existsSync(MODEL) && existsSync(join(MINI, 'images.u8'));
if (!haveShared)
  console.warn(
    `skipping the mnist-cnn tests: ${MODEL} or ${MINI} is missing (the shared folder sits beside the repo, at ../shared)`,
  );
const describeShared = haveShared ? describe : describe.skip;

describeShared('mnist-cnn (shared model)', () => {
  let dir: string;
  let pixels: Float32Array;
  let labels: Uint8Array;
  const factory = new OrtSessionFactory({ device: 'cpu' });

  beforeAll(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'mc-onnx-mnist-'));
    pixels = Float32Array.from(await fs.readFile(join(MINI, 'images.u8')), (v) => v / 255);
    labels = new Uint8Array(await fs.readFile(join(MINI, 'labels.u8')));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function logits(model: string | Uint8Array): Promise<Float32Array> {
    const session = await factory.create(model);
    try {
      const out = await session.run({ pixel_values: { type: 'float32', data: pixels, dims: [16, 1, 28, 28] } });
      return out.logits.data as Float32Array;
    } finally {
      await session.release();
    }
  }

  it('loads with the shape its README gives', async () => {
    const model = await OnnxModel.load(MODEL);
    expect(model.initializerNames()).toHaveLength(24);
    expect(model.opset()).toBe(17);
    expect(model.proto.irVersion).toBe(8);
    expect(model.parameterCount()).toBe(84620);
    expect(model.initializerBytes()).toBe(84620 * 4);
    expect(model.initializerNames().every((n) => model.getInitializer(n)!.dataType === DataType.FLOAT)).toBe(true);
    expect(model.getInitializer('head.1.weight')!.dims).toEqual([128, 192]);
    expect(new Set(model.nodes.map((n) => n.opType))).toEqual(
      new Set(['Sub', 'Div', 'Conv', 'Relu', 'HardSwish', 'GlobalAveragePool', 'Flatten', 'Gemm']),
    );
    expect(Object.keys(model.metadata()).sort()).toEqual(['labels', 'preprocessing', 'task']);
    // int64 attributes are plain numbers after loading.
    const gemm = model.nodes.find((n) => n.opType === 'Gemm')!;
    expect(gemm.attribute!.find((a) => a.name === 'transB')!.i).toBe(1);
  });

  it('round-trips through save + load (inline and with external data) with identical outputs', async () => {
    const original = await logits(MODEL);
    const argmax = (row: number) =>
      [...original.subarray(row * 10, row * 10 + 10)].reduce((b, v, i, a) => (v > a[b] ? i : b), 0);
    expect(Array.from({ length: 16 }, (_, r) => argmax(r))).toEqual([...labels]); // README: 16/16 correct

    const model = await OnnxModel.load(MODEL);
    const inline = join(dir, 'inline.onnx');
    const external = join(dir, 'external.onnx');
    await model.save(inline);
    const { externalDataPath } = await model.save(external, { externalDataThreshold: 0 });
    expect(externalDataPath).toBe(`${external}.data`);
    expect(await logits(inline)).toEqual(original);
    expect(await logits(external)).toEqual(original);
    expect(await logits(model.toBytes())).toEqual(original);

    const back = await OnnxModel.load(external);
    for (const name of model.initializerNames()) {
      expect(back.getInitializer(name)!.readRaw()).toEqual(model.getInitializer(name)!.readRaw());
    }
    expect(back.metadata()).toEqual(model.metadata());
  });

  it('refuses the first 60% of the file as truncated', async () => {
    const bytes = await fs.readFile(MODEL);
    const cut = join(dir, 'cut.onnx');
    await fs.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expect(OnnxModel.load(cut)).rejects.toMatchObject({
      code: 'E_TRUNCATED_ONNX',
      message: expect.stringMatching(/cut\.onnx is a truncated ONNX model \(206728 bytes, but its graph needs \d+\)/),
    });
  });
});
