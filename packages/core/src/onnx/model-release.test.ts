/** OnnxModel.releaseWeights: a saved model drops the bytes it holds, and a later read or save fails as mc's bug instead of giving empty tensors. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../testing/index.js';
import { DataType } from './dtypes.js';
import { OnnxModel } from './model.js';

describe('OnnxModel.releaseWeights', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-release-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('drops raw_data of at least minBytes; small tensors stay readable; reading or saving a released one is a BugError', async () => {
    const big = Float32Array.from({ length: 300 }, (_, i) => i);
    const g = new GraphBuilder({ opset: 17 });
    const y = g.add(
      g.matMul(g.input('x', DataType.FLOAT, ['n', 30]), g.initializer('w', DataType.FLOAT, [30, 10], big)),
      g.initializer('b', DataType.FLOAT, [1], Float32Array.of(0.5)),
    );
    g.output(y, DataType.FLOAT, ['n', 10]);
    const model = OnnxModel.fromBytes(g.toBytes());
    model.releaseWeights(1024);
    expect(model.getInitializer('w')!.dims).toEqual([30, 10]);
    expect(() => model.getInitializer('w')!.readFloat32()).toThrow(
      expect.objectContaining({
        code: 'E_BUG',
        message: expect.stringMatching(/initializer w was released once the model was saved/),
      }),
    );
    expect(Array.from(model.getInitializer('b')!.readFloat32())).toEqual([0.5]);
    await expect(model.save(join(dir, 'after.onnx'))).rejects.toMatchObject({
      code: 'E_BUG',
      message: expect.stringMatching(/initializer w was released/),
    });
  });

  it('leaves weights kept on disk (self references) as they are: they hold no bytes', async () => {
    const rows = (1 << 20) / 4 / 64 + 1; // past the size OnnxModel.load leaves on disk
    const g = new GraphBuilder({ opset: 17 });
    g.output(
      g.matMul(
        g.input('x', DataType.FLOAT, ['n', rows]),
        g.initializer(
          'w',
          DataType.FLOAT,
          [rows, 64],
          Float32Array.from({ length: rows * 64 }, (_, i) => i % 7),
        ),
      ),
      DataType.FLOAT,
      ['n', 64],
    );
    const path = join(dir, 'large.onnx');
    await g.build().save(path);
    const model = await OnnxModel.load(path);
    model.releaseWeights();
    expect(model.getInitializer('w')!.readFloat32()[8]).toBe(1);
  });
});
