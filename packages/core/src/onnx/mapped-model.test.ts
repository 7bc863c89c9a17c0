/**
 * mapped-model.ts: the model's own encoding with each large raw_data turned into a reference to the
 * same bytes of the same file, which onnxruntime runs as it runs the file.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrtSessionFactory } from '../session/factory.js';
import { GraphBuilder } from '../testing/index.js';
import { DataType } from './dtypes.js';
import { EXTERNAL } from './external-data.js';
import { pb } from './proto.js';
import { readMappedModel } from './mapped-model.js';

const dir = mkdtempSync(join(tmpdir(), 'mc-mapped-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// two weights over the 1024-byte threshold used below, around a small bias
const w1 = Float32Array.from({ length: 40 * 25 }, (_, i) => i / 3);
const w2 = Float32Array.from({ length: 25 * 200 }, (_, i) => -i);
const bias = Float32Array.from({ length: 25 }, (_, i) => i);

function mlp(): GraphBuilder {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['n', 40]);
  const h = g.matMul(x, g.initializer('w1', DataType.FLOAT, [40, 25], w1));
  g.output(
    g.matMul(
      g.add(h, g.initializer('b', DataType.FLOAT, [25], bias)),
      g.initializer('w2', DataType.FLOAT, [25, 200], w2),
    ),
    DataType.FLOAT,
    ['n', 200],
  );
  return g;
}

const entries = (t: { externalData?: { key?: string | null; value?: string | null }[] | null }) =>
  Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));

describe('readMappedModel', () => {
  it('turns each large raw_data into an external reference to its own bytes in the file, and leaves every other field as it was', async () => {
    const path = join(dir, 'mlp.onnx');
    writeFileSync(path, mlp().toBytes());
    const file = readFileSync(path);
    const mapped = (await readMappedModel(path, 1024))!;
    expect(mapped.folder).toBe(dir);
    const model = pb.ModelProto.decode(mapped.bytes);
    const byName = new Map(model.graph!.initializer!.map((t) => [t.name, t]));
    for (const [name, want] of [
      ['w1', w1],
      ['w2', w2],
    ] as const) {
      const t = byName.get(name)!;
      expect(t.dataLocation).toBe(EXTERNAL);
      expect(t.rawData).toHaveLength(0);
      const e = entries(t);
      expect(e.location).toBe('mlp.onnx');
      expect(Number(e.length)).toBe(want.byteLength);
      const offset = Number(e.offset);
      expect(
        new Float32Array(file.buffer.slice(file.byteOffset + offset, file.byteOffset + offset + want.byteLength)),
      ).toEqual(want);
    }
    expect(byName.get('b')!.dataLocation).toBe(0);
    expect(new Float32Array(Uint8Array.from(byName.get('b')!.rawData!).buffer)).toEqual(bias);
    // everything but the two weights' data fields decodes as the file does
    const full = pb.ModelProto.decode(file);
    for (const t of [...model.graph!.initializer!, ...full.graph!.initializer!]) {
      if (t.name === 'b') continue;
      t.rawData = new Uint8Array(0);
      t.externalData = [];
      t.dataLocation = 0;
    }
    expect(pb.ModelProto.toObject(model, { bytes: Array })).toEqual(pb.ModelProto.toObject(full, { bytes: Array }));
  });

  it('drops a data_location DEFAULT written out after raw_data (as onnx leaves it once external data was loaded), which would undo the reference', async () => {
    const proto = pb.ModelProto.decode(mlp().toBytes());
    for (const t of proto.graph!.initializer!) t.dataLocation = 0;
    const path = join(dir, 'explicit-default.onnx');
    writeFileSync(path, pb.ModelProto.encode(proto).finish());
    const model = pb.ModelProto.decode((await readMappedModel(path, 1024))!.bytes);
    expect(model.graph!.initializer!.map((t) => [t.name, t.dataLocation])).toEqual([
      ['w1', EXTERNAL],
      ['b', 0],
      ['w2', EXTERNAL],
    ]);
  });

  it('is undefined where the file itself is what onnxruntime should read', async () => {
    const path = join(dir, 'plain.onnx');
    writeFileSync(path, mlp().toBytes());
    // no raw_data as large as asked
    await expect(readMappedModel(path)).resolves.toBeUndefined();
    // reached through a symlink: its external data lives beside the link, the mapped bytes beside the target
    const link = join(mkdtempSync(join(dir, 'elsewhere-')), 'link.onnx');
    symlinkSync(path, link);
    await expect(readMappedModel(link, 1024)).resolves.toBeUndefined();
    // a tensor with large raw_data that also names external data: no reference could say which holds the values
    const proto = pb.ModelProto.decode(mlp().toBytes());
    proto.graph!.initializer![0].externalData = [{ key: 'location', value: 'w1.bin' }];
    const both = join(dir, 'both.onnx');
    writeFileSync(both, pb.ModelProto.encode(proto).finish());
    await expect(readMappedModel(both, 1024)).resolves.toBeUndefined();
  });

  it('onnxruntime runs a mapped session (mapWeights) as it runs the file: the same outputs', async () => {
    // a weight past the 1 MiB the session factory maps from
    const w = Float32Array.from({ length: 512 * 520 }, (_, i) => Math.cos(i / 11));
    const g = new GraphBuilder({ opset: 17 });
    g.output(
      g.matMul(g.input('x', DataType.FLOAT, ['n', 512]), g.initializer('w', DataType.FLOAT, [512, 520], w)),
      DataType.FLOAT,
      ['n', 520],
    );
    const path = join(dir, 'wide.onnx');
    writeFileSync(path, g.toBytes());
    expect(await readMappedModel(path)).toBeDefined();
    const sessions = new OrtSessionFactory({ device: 'cpu' });
    const x = {
      type: 'float32' as const,
      data: Float32Array.from({ length: 2 * 512 }, (_, i) => Math.sin(i)),
      dims: [2, 512],
    };
    const mapped = await sessions.create(path, { mapWeights: true, prepack: false });
    const plain = await sessions.create(path, { prepack: false });
    const [a, b] = [await mapped.run({ x }), await plain.run({ x })];
    await Promise.all([mapped.release(), plain.release()]);
    const got = Object.values(a)[0].data as Float32Array;
    const want = Object.values(b)[0].data as Float32Array;
    expect(got).toHaveLength(2 * 520);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});
