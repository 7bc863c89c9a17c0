/** read-skeleton.ts: the model without its large raw_data decodes to the same model, and the skipped bytes are where it says. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../testing/index.js';
import { DataType } from './dtypes.js';
import { OnnxModel } from './model.js';
import { pb } from './proto.js';
import { readSkeleton } from './read-skeleton.js';

describe('readSkeleton', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-skeleton-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // two large weights around a small one, so initializer indices and offsets both matter;
  // 1000 elements = 4000 bytes, over the 1024-byte threshold used below (and a 2-byte length varint)
  const w1 = Float32Array.from({ length: 1000 }, (_, i) => i / 3);
  const w2 = Float32Array.from({ length: 200 * 25 }, (_, i) => -i);
  const small = Float32Array.from({ length: 25 }, (_, i) => i);

  async function build(): Promise<string> {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, ['n', 40]);
    const h = g.matMul(x, g.initializer('w1', DataType.FLOAT, [40, 25], w1));
    const y = g.matMul(
      g.add(h, g.initializer('b', DataType.FLOAT, [25], small)),
      g.initializer('w2', DataType.FLOAT, [25, 200], w2),
    );
    g.output(y, DataType.FLOAT, ['n', 200]);
    const path = join(dir, 'm.onnx');
    await g.build().save(path);
    return path;
  }

  it('skips exactly the large raw_data payloads and decodes to the same model otherwise', async () => {
    const path = await build();
    const file = readFileSync(path);
    const s = (await readSkeleton(path, 1024))!;
    // minus both payloads, their field headers (tag + 2- and 3-byte lengths: 7 bytes) and the length
    // prefixes that shrink (w1's tensor 2 -> 1 byte, w2's 3 -> 1, the graph's 3 -> 2: 4 bytes)
    expect(s.bytes.length).toBe(file.length - w1.byteLength - w2.byteLength - 7 - 4);
    const full = pb.ModelProto.decode(file);
    const names = full.graph!.initializer!.map((t) => t.name);
    expect(s.skipped.map((k) => names[k.index]).sort()).toEqual(['w1', 'w2']);
    for (const k of s.skipped) {
      const want = names[k.index] === 'w1' ? w1 : w2;
      expect(
        new Float32Array(file.buffer.slice(file.byteOffset + k.offset, file.byteOffset + k.offset + k.length)),
      ).toEqual(want);
    }
    const skel = pb.ModelProto.decode(Buffer.from(s.bytes));
    for (const t of skel.graph!.initializer!)
      if (t.name !== 'b') t.rawData = full.graph!.initializer!.find((f) => f.name === t.name)!.rawData;
    expect(pb.ModelProto.toObject(skel, { bytes: Array })).toEqual(pb.ModelProto.toObject(full, { bytes: Array }));
  });

  it('gives up (undefined) on a truncated file, so the plain reader can say what is wrong', async () => {
    const path = await build();
    const cut = join(dir, 'cut.onnx');
    writeFileSync(cut, readFileSync(path).subarray(0, 3000));
    await expect(readSkeleton(cut, 1024)).resolves.toBeUndefined();
  });

  it('OnnxModel.load of a large file reads every weight back exactly', async () => {
    const rows = (1 << 20) / 4 / 64 + 1; // just over DEFER_MIN_BYTES
    const big = Float32Array.from({ length: rows * 64 }, (_, i) => Math.cos(i));
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, ['n', rows]);
    g.output(
      g.add(
        g.matMul(x, g.initializer('w', DataType.FLOAT, [rows, 64], big)),
        g.initializer('b', DataType.FLOAT, [64], new Float32Array(64).fill(0.5)),
      ),
      DataType.FLOAT,
      ['n', 64],
    );
    const path = join(dir, 'big.onnx');
    await g.build().save(path);
    const model = await OnnxModel.load(path);
    expect(model.getInitializer('w')!.readFloat32()).toEqual(big);
    expect(model.proto.graph!.node!.map((n) => n.opType)).toEqual(['MatMul', 'Add']);
  });
});
