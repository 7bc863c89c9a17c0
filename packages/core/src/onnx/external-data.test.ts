import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrtSessionFactory } from '../session/factory.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { DataType } from './dtypes.js';
import { EXTERNAL } from './external-data.js';
import { OnnxModel } from './model.js';
import { pb } from './proto.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(join(tmpdir(), 'mc-onnx-ext-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

/** A model with tensors on both sides of the 1 KiB spill cut (`extras`: int4/float16 ones no node reads). */
function mixedModel(extras = true): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 32]);
  const w = g.initializer(
    'w',
    DataType.FLOAT,
    [32, 32],
    new Float32Array(1024).map((_, i) => ((i % 7) - 3) / 8),
  ); // 4096 B
  const b = g.initializer('b', DataType.FLOAT, [32], new Float32Array(32).fill(0.5)); // 128 B: stays inline
  if (extras) {
    g.initializer(
      'q',
      DataType.INT4,
      [2049],
      new Int8Array(2049).map((_, i) => (i % 16) - 8),
    ); // 1025 B
    g.initializer('h', DataType.FLOAT16, [600], new Uint16Array(600).fill(0x3c00)); // 1200 B
  }
  g.output(g.add(g.matMul(x, w), b), DataType.FLOAT, [1, 32]);
  return g.build();
}

const input = { x: { type: 'float32' as const, data: new Float32Array(32).map((_, i) => i / 10), dims: [1, 32] } };

async function run(model: string | Uint8Array): Promise<Float32Array> {
  const session = await new OrtSessionFactory({ device: 'cpu' }).create(model);
  try {
    return (await session.run(input))[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('external data', () => {
  it('spills tensors of >= 1 KiB to <file>.data at 64-byte aligned offsets, and reads them back', async () => {
    const dir = await tempDir();
    const path = join(dir, 'model.onnx');
    const model = mixedModel();
    const { bytes, externalDataPath } = await model.save(path, { externalDataThreshold: 1000 });
    expect(externalDataPath).toBe(join(dir, 'model.onnx.data'));
    const dataSize = (await fs.stat(externalDataPath!)).size;
    expect(bytes).toBe((await fs.stat(path)).size + dataSize);

    const back = await OnnxModel.load(path);
    const placed = Object.fromEntries(
      back.proto.graph!.initializer!.map((t) => [
        t.name,
        t.dataLocation === EXTERNAL ? Object.fromEntries(t.externalData!.map((e) => [e.key, e.value])) : 'inline',
      ]),
    );
    // w at 0 (4096 B); q at 4096 (1025 B); h at align64(5121) = 5184 (1200 B); file ends at 6384.
    expect(placed).toEqual({
      w: { location: 'model.onnx.data', offset: '0', length: '4096' },
      b: 'inline',
      q: { location: 'model.onnx.data', offset: '4096', length: '1025' },
      h: { location: 'model.onnx.data', offset: '5184', length: '1200' },
    });
    expect(dataSize).toBe(6384);
    for (const name of model.initializerNames()) {
      expect(back.getInitializer(name)!.readTyped()).toEqual(model.getInitializer(name)!.readTyped());
    }
  });

  it('gives onnxruntime a model it runs, finding the data beside the file', async () => {
    const path = join(await tempDir(), 'run.onnx');
    const model = mixedModel(false);
    expect((await model.save(path, { externalDataThreshold: 0 })).externalDataPath).toBeDefined();
    const out = await run(path);
    expect(out).toEqual(await run(model.toBytes()));
    // By hand: x[i] = i/10, w[i][j] = ((32i + j) % 7 - 3) / 8, b = 0.5; y[0] = sum_i x[i] w[i][0] + 0.5.
    const y0 = ramp(32, (i) => ((i / 10) * (((32 * i) % 7) - 3)) / 8).reduce((a, v) => a + v, 0.5);
    expect(out[0]).toBeCloseTo(y0, 5);
  });

  it('reads external data lazily: nothing is opened until a tensor is read', async () => {
    const dir = await tempDir();
    const path = join(dir, 'lazy.onnx');
    await mixedModel().save(path, { externalDataThreshold: 0 });
    await fs.rename(`${path}.data`, `${path}.moved`);
    const model = await OnnxModel.load(path);
    const w = model.getInitializer('w')!;
    expect(w.dims).toEqual([32, 32]);
    expect(model.getInitializer('b')!.readFloat32()[0]).toBe(0.5);
    expect(() => w.readFloat32()).toThrow(
      expect.objectContaining({ code: 'E_FILE_NOT_FOUND', message: expect.stringContaining('lazy.onnx.data') }),
    );
    await fs.rename(`${path}.moved`, `${path}.data`);
    expect(w.readFloat32()[1]).toBe(-0.25);
  });

  it('a model whose source has external data, saved elsewhere, no longer refers to the source data file', async () => {
    const [src, dst] = [await tempDir(), await tempDir()];
    const original = mixedModel();
    await original.save(join(src, 'a.onnx'), { externalDataThreshold: 0 });
    const loaded = await OnnxModel.load(join(src, 'a.onnx'));

    await loaded.save(join(dst, 'inline.onnx'));
    const spilled = await loaded.save(join(dst, 'c.onnx'), { externalDataThreshold: 0 });
    expect(spilled.externalDataPath).toBe(join(dst, 'c.onnx.data'));
    const bytesInline = await fs.readFile(join(dst, 'inline.onnx'));
    const bytesSpilled = await fs.readFile(join(dst, 'c.onnx'));
    expect(bytesInline.includes('a.onnx.data')).toBe(false);
    expect(bytesSpilled.includes('a.onnx.data')).toBe(false);
    expect(bytesSpilled.includes('c.onnx.data')).toBe(true);

    await fs.rm(src, { recursive: true });
    const inline = await OnnxModel.load(join(dst, 'inline.onnx'));
    expect(inline.proto.graph!.initializer!.every((t) => t.dataLocation !== EXTERNAL)).toBe(true);
    const again = await OnnxModel.load(join(dst, 'c.onnx'));
    for (const name of original.initializerNames()) {
      expect(inline.getInitializer(name)!.readTyped()).toEqual(original.getInitializer(name)!.readTyped());
      expect(again.getInitializer(name)!.readTyped()).toEqual(original.getInitializer(name)!.readTyped());
    }
  });

  it('toBytes inlines external data', async () => {
    const dir = await tempDir();
    await mixedModel().save(join(dir, 'm.onnx'), { externalDataThreshold: 0 });
    const loaded = await OnnxModel.load(join(dir, 'm.onnx'));
    const standalone = OnnxModel.fromBytes(loaded.toBytes());
    expect(standalone.getInitializer('w')!.readFloat32()).toEqual(loaded.getInitializer('w')!.readFloat32());
    expect(standalone.proto.graph!.initializer!.some((t) => t.dataLocation === EXTERNAL)).toBe(false);
    // The loaded model itself is not changed by serializing it.
    expect(loaded.proto.graph!.initializer!.find((t) => t.name === 'w')!.dataLocation).toBe(EXTERNAL);
  });

  it('refuses to write a data file the source model reads from', async () => {
    const dir = await tempDir();
    await mixedModel().save(join(dir, 'x.onnx'), { externalDataThreshold: 0 });
    await fs.copyFile(join(dir, 'x.onnx'), join(dir, 'copy.onnx')); // copy.onnx reads x.onnx.data
    const copy = await OnnxModel.load(join(dir, 'copy.onnx'));
    const before = await fs.readFile(join(dir, 'x.onnx.data'));
    await expect(copy.save(join(dir, 'x.onnx'), { externalDataThreshold: 0 })).rejects.toMatchObject({
      code: 'E_OUT_IS_INPUT',
    });
    await expect(copy.save(join(dir, 'x.onnx.data'))).rejects.toMatchObject({ code: 'E_OUT_IS_INPUT' });
    expect(await fs.readFile(join(dir, 'x.onnx.data'))).toEqual(before);
  });
});

describe('external data edge cases', () => {
  /** A model whose one initializer points at `location`, as another tool might have written it. */
  function pointing(location: string, extra: Record<string, string> = {}): Uint8Array {
    const entries = Object.entries({ location, ...extra }).map(([key, value]) => ({ key, value }));
    return pb.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ version: 17 }],
      graph: {
        name: 'g',
        initializer: [
          { name: 'w', dataType: DataType.FLOAT, dims: [2], dataLocation: EXTERNAL, externalData: entries },
        ],
      },
    }).finish();
  }

  it('resolves data relative to the folder given to fromBytes, honouring offset', async () => {
    const dir = await tempDir();
    await fs.writeFile(
      join(dir, 'weights.bin'),
      Buffer.concat([Buffer.alloc(8), Buffer.from(Float32Array.of(1.5, -2).buffer)]),
    );
    const model = OnnxModel.fromBytes(pointing('weights.bin', { offset: '8', length: '8' }), dir);
    expect([...model.getInitializer('w')!.readFloat32()]).toEqual([1.5, -2]);
    expect(() => OnnxModel.fromBytes(pointing('weights.bin')).getInitializer('w')!.readRaw()).toThrow(/no folder/);
  });

  it('refuses locations outside the model folder, and data files that are too short', async () => {
    const dir = await tempDir();
    await fs.writeFile(join(dir, 'short.bin'), Buffer.alloc(4));
    for (const bad of ['../secret.bin', '/etc/passwd', 'a/../../x.bin']) {
      expect(() => OnnxModel.fromBytes(pointing(bad), dir).getInitializer('w')!.readRaw()).toThrow(
        expect.objectContaining({ code: 'E_BAD_MODEL', message: expect.stringContaining('outside the model folder') }),
      );
    }
    expect(() => OnnxModel.fromBytes(pointing('short.bin'), dir).getInitializer('w')!.readRaw()).toThrow(
      expect.objectContaining({ code: 'E_TRUNCATED_ONNX', message: expect.stringContaining('which has 4') }),
    );
    expect(() =>
      OnnxModel.fromBytes(pointing('short.bin', { length: '12' }), dir)
        .getInitializer('w')!
        .readRaw(),
    ).toThrow(/external length 12 but its shape needs 8 bytes/);
  });

  it('refuses a location that is a symlink out of the model folder, or not a regular file (issue 17)', async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    await fs.writeFile(join(outside, 'secret.bin'), Buffer.from(Float32Array.of(7, 7).buffer));
    await fs.symlink(join(outside, 'secret.bin'), join(dir, 'w.bin'));
    await fs.writeFile(join(dir, 'model.onnx'), pointing('w.bin'));
    const model = await OnnxModel.load(join(dir, 'model.onnx'));
    expect(() => model.getInitializer('w')!.readRaw()).toThrow(
      expect.objectContaining({ code: 'E_BAD_MODEL', message: expect.stringContaining('leads outside its folder') }),
    );
    // and the bytes never reach a saved copy
    await expect(model.save(join(dir, 'copy.onnx'))).rejects.toMatchObject({ code: 'E_BAD_MODEL' });
    await expect(fs.stat(join(dir, 'copy.onnx'))).rejects.toMatchObject({ code: 'ENOENT' });
    // a link that stays inside the folder is fine
    await fs.writeFile(join(dir, 'real.bin'), Buffer.from(Float32Array.of(1, 2).buffer));
    await fs.symlink('real.bin', join(dir, 'inside.bin'));
    expect([...OnnxModel.fromBytes(pointing('inside.bin'), dir).getInitializer('w')!.readFloat32()]).toEqual([1, 2]);
    // a folder named as the data file
    await fs.mkdir(join(dir, 'd.bin'));
    expect(() => OnnxModel.fromBytes(pointing('d.bin'), dir).getInitializer('w')!.readRaw()).toThrow(
      /is a folder, not a regular file/,
    );
  });

  it("ignores a model's own mc.self mark, which would skip the folder check", async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    await fs.writeFile(join(outside, 'secret.bin'), Buffer.from(Float32Array.of(7, 7).buffer));
    await fs.symlink(join(outside, 'secret.bin'), join(dir, 'w.bin'));
    const model = OnnxModel.fromBytes(pointing('w.bin', { 'mc.self': '1' }), dir);
    expect(model.proto.graph!.initializer![0].externalData!.map((e) => e.key)).toEqual(['location']);
    expect(() => model.getInitializer('w')!.readRaw()).toThrow(/leads outside its folder/);
  });

  it('keeps string initializers inline and still saves when spilling', async () => {
    const dir = await tempDir();
    const model = mixedModel(false);
    model.proto.graph!.initializer!.push({
      name: 'labels',
      dataType: DataType.STRING,
      dims: [2],
      stringData: [Buffer.from('cat'), Buffer.from('dog')],
    });
    expect(model.initializerBytes()).toBe(4096 + 128 + 6);
    await model.save(join(dir, 's.onnx'), { externalDataThreshold: 0 });
    const back = await OnnxModel.load(join(dir, 's.onnx'));
    const labels = back.proto.graph!.initializer!.find((t) => t.name === 'labels')!;
    expect(labels.stringData!.map((b) => Buffer.from(b).toString())).toEqual(['cat', 'dog']);
    expect(() => back.getInitializer('labels')!.readFloat32()).toThrow(
      expect.objectContaining({ code: 'E_UNSUPPORTED' }),
    );
  });
});
