import { existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../testing/graph-builder.js';
import { DataType, type TypedArray } from './dtypes.js';
import { OnnxModel } from './model.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(join(tmpdir(), 'mc-onnx-save-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) {
    await fs.chmod(d, 0o755).catch(() => {});
    await fs.rm(d, { recursive: true, force: true });
  }
});

function emptyModel(): OnnxModel {
  return OnnxModel.fromProto({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g' } });
}

const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

// One entry per first-class dtype (and the others mc reads), with an odd length where packing matters.
const dtypes: [string, DataType, number[], TypedArray][] = [
  ['float32', DataType.FLOAT, [2, 3], Float32Array.from(ramp(6, (i) => i * 0.5 - 1))],
  ['float16', DataType.FLOAT16, [3], Uint16Array.of(0x3c00, 0xc000, 0x7bff)],
  ['bfloat16', DataType.BFLOAT16, [3], Uint16Array.of(0x3f80, 0xbf00, 0x7f80)],
  ['int8', DataType.INT8, [5], Int8Array.of(-128, -1, 0, 1, 127)],
  ['uint8', DataType.UINT8, [4], Uint8Array.of(0, 1, 128, 255)],
  ['int4', DataType.INT4, [5], Int8Array.of(-8, -1, 0, 3, 7)],
  ['uint4', DataType.UINT4, [1, 3], Uint8Array.of(0, 9, 15)],
  ['int32', DataType.INT32, [2], Int32Array.of(-(2 ** 31), 2 ** 31 - 1)],
  ['int64', DataType.INT64, [2], BigInt64Array.of(-(2n ** 63n), 2n ** 53n + 1n)],
  ['float64', DataType.DOUBLE, [2], Float64Array.of(Math.PI, -1e300)],
  ['bool', DataType.BOOL, [3], Uint8Array.of(1, 0, 1)],
  ['uint16', DataType.UINT16, [1], Uint16Array.of(65535)],
  ['uint64', DataType.UINT64, [1], BigUint64Array.of(2n ** 64n - 1n)],
];

describe('save + load round trip (raw_data)', () => {
  it.each(dtypes)('%s', async (_name, dataType, dims, values) => {
    const model = emptyModel();
    model.setInitializer('t', dataType, dims, values);
    const stored = model.proto.graph!.initializer![0];
    expect(stored.rawData?.length).toBe(model.getInitializer('t')!.byteLength);
    const rawBefore = model.getInitializer('t')!.readRaw();

    const path = join(await tempDir(), 'm.onnx');
    const { bytes, externalDataPath } = await model.save(path);
    expect(bytes).toBe((await fs.stat(path)).size);
    expect(externalDataPath).toBeUndefined();

    const back = (await OnnxModel.load(path)).getInitializer('t')!;
    expect(back.dataType).toBe(dataType);
    expect(back.dims).toEqual(dims);
    expect(back.readTyped()).toEqual(values);
    expect(back.readRaw()).toEqual(rawBefore);
  });

  it('setInitializer replaces in place, and a float16 tensor may be given as float32 (rounded)', () => {
    const model = emptyModel();
    model.setInitializer('a', DataType.FLOAT, [1], Float32Array.of(1));
    model.setInitializer('b', DataType.FLOAT, [1], Float32Array.of(2));
    model.setInitializer('a', DataType.FLOAT16, [2], Float32Array.of(1 + 2 ** -11, 0.1));
    expect(model.initializerNames()).toEqual(['a', 'b']);
    expect([...model.getInitializer('a')!.readFloat32()]).toEqual([1, Math.fround(0.0999755859375)]);
  });

  it('readRaw and readTyped hand out copies', () => {
    const model = emptyModel();
    model.setInitializer('w', DataType.FLOAT, [2], Float32Array.of(1, 2));
    model.getInitializer('w')!.readRaw()[3] = 0xff;
    (model.getInitializer('w')!.readTyped() as Float32Array)[0] = 9;
    expect([...model.getInitializer('w')!.readFloat32()]).toEqual([1, 2]);
  });
});

/** A model with tensors on both sides of the 1 KiB external-data cut. */
function mixedModel(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 32]);
  const w = g.initializer(
    'w',
    DataType.FLOAT,
    [32, 32],
    new Float32Array(1024).map((_, i) => ((i % 7) - 3) / 8),
  ); // 4096 B
  const b = g.initializer('b', DataType.FLOAT, [32], new Float32Array(32).fill(0.5)); // 128 B: stays inline
  g.output(g.add(g.matMul(x, w), b), DataType.FLOAT, [1, 32]);
  return g.build();
}

describe('atomic, never over the input', () => {
  it('refuses the model own source path and the given inputPath, leaving them untouched', async () => {
    const dir = await tempDir();
    const path = join(dir, 'in.onnx');
    await mixedModel().save(path);
    const before = await fs.readFile(path);
    const model = await OnnxModel.load(path);
    model.setMetadata('changed', 'yes');
    await expect(model.save(path)).rejects.toMatchObject({ code: 'E_OUT_IS_INPUT', exitCode: 2 });
    await expect(model.save(join(dir, '.', 'in.onnx'))).rejects.toMatchObject({ code: 'E_OUT_IS_INPUT' });
    const other = join(dir, 'other.onnx');
    await fs.writeFile(other, 'x');
    await expect(mixedModel().save(other, { inputPath: other })).rejects.toMatchObject({ code: 'E_OUT_IS_INPUT' });
    expect(await fs.readFile(path)).toEqual(before);
    expect(await fs.readFile(other, 'utf8')).toBe('x');
  });

  it.each([
    ['inline', undefined],
    ['with external data', 0],
  ])('leaves no temp or data file behind when the write fails (%s)', async (_how, externalDataThreshold) => {
    const dir = await tempDir();
    const blocked = join(dir, 'out.onnx');
    await fs.mkdir(join(blocked, 'sub'), { recursive: true }); // rename over a non-empty folder fails
    await expect(mixedModel().save(blocked, { externalDataThreshold })).rejects.toThrow();
    expect((await fs.readdir(dir)).sort()).toEqual(['out.onnx']);
  });

  it('fails with E_UNWRITABLE in a missing folder', async () => {
    const dir = await tempDir();
    await expect(mixedModel().save(join(dir, 'nope', 'm.onnx'))).rejects.toMatchObject({ code: 'E_UNWRITABLE' });
  });

  // root ignores folder permissions, so this one only means something for other users.
  const asRoot = process.getuid?.() === 0;
  (asRoot ? it.skip : it)('fails with E_UNWRITABLE in a read-only folder and leaves nothing there', async () => {
    const dir = await tempDir();
    await fs.chmod(dir, 0o555);
    await expect(mixedModel().save(join(dir, 'm.onnx'))).rejects.toMatchObject({ code: 'E_UNWRITABLE' });
    expect(await fs.readdir(dir)).toEqual([]);
    expect(existsSync(join(dir, 'm.onnx'))).toBe(false);
  });
});
