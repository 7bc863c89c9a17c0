/** Large weights stay on disk after load (defer-raw-data.ts); everything else behaves as before. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../testing/index.js';
import { DEFER_MIN_BYTES, isSelfReference } from './defer-raw-data.js';
import { DataType } from './dtypes.js';
import { OnnxModel } from './model.js';
import { pb } from './proto.js';

describe('deferred raw_data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-defer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rows = DEFER_MIN_BYTES / 4 / 64 + 1; // just over the threshold
  const big = Float32Array.from({ length: rows * 64 }, (_, i) => Math.sin(i));
  const bias = Float32Array.from({ length: 64 }, (_, i) => i / 7);

  async function build(): Promise<string> {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, ['n', rows]);
    const y = g.add(
      g.matMul(x, g.initializer('w', DataType.FLOAT, [rows, 64], big)),
      g.initializer('b', DataType.FLOAT, [64], bias),
    );
    g.output(y, DataType.FLOAT, ['n', 64]);
    const path = join(dir, 'm.onnx');
    await g.build().save(path);
    return path;
  }

  it('leaves the large weight in the model file, keeps small ones inline, reads both exactly', async () => {
    const path = await build();
    const model = await OnnxModel.load(path);
    const [w, b] = ['w', 'b'].map((n) => model.proto.graph!.initializer!.find((t) => t.name === n)!);
    expect(isSelfReference(w)).toBe(true);
    expect(isSelfReference(b)).toBe(false);
    expect(model.getInitializer('w')!.readFloat32()).toEqual(big);
    expect(model.getInitializer('b')!.readFloat32()).toEqual(bias);
  });

  it('holds no view into the file buffer (so the buffer can be collected)', async () => {
    const model = await OnnxModel.load(await build());
    const size = readFileSync(join(dir, 'm.onnx')).length;
    const views: number[] = [];
    (function walk(o: unknown): void {
      if (o === null || typeof o !== 'object') return;
      if (ArrayBuffer.isView(o)) {
        if (o.buffer.byteLength >= size) views.push(o.byteLength);
        return;
      }
      for (const v of Object.values(o as Record<string, unknown>)) walk(v);
    })(model.proto);
    expect(views).toEqual([]);
  });

  it('writes a standalone copy: weights inline again, no self reference on disk', async () => {
    const model = await OnnxModel.load(await build());
    const out = join(dir, 'copy.onnx');
    await model.save(out);
    const proto = pb.ModelProto.decode(readFileSync(out));
    const w = proto.graph!.initializer!.find((t) => t.name === 'w')!;
    expect(w.externalData).toEqual([]);
    expect(w.rawData!.length).toBe(big.byteLength);
    expect((await OnnxModel.load(out)).getInitializer('w')!.readFloat32()).toEqual(big);
    // and inspect-style facts are unchanged: the input reports no external data files
    expect(
      model.proto.graph!.initializer!.filter((t) => (t.externalData?.length ?? 0) > 0 && !isSelfReference(t)),
    ).toEqual([]);
  });
});
