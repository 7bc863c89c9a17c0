import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType } from '../onnx/dtypes.js';
import { pb } from '../onnx/proto.js';
import { GraphBuilder } from './graph-builder.js';
import { expectValidModel } from './valid-model.js';

function mlp(): GraphBuilder {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 4]);
  g.output(
    g.relu(g.matMul(x, g.initializer('w', DataType.FLOAT, [4, 4], new Float32Array(16)))),
    DataType.FLOAT,
    [1, 4],
  );
  return g;
}

describe('expectValidModel', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'mc-valid-model-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('passes a valid model, given as a file or in memory', async () => {
    const path = join(dir, 'ok.onnx');
    await fs.writeFile(path, mlp().toBytes());
    await expectValidModel(path);
    await expectValidModel(mlp().build());
  });

  it('fails an unsorted graph that onnxruntime itself would run, listing the issue', async () => {
    const proto = mlp().toProto();
    proto.graph!.node!.reverse();
    const path = join(dir, 'unsorted.onnx');
    await fs.writeFile(path, pb.ModelProto.encode(proto).finish());
    await expect(expectValidModel(path)).rejects.toThrow(
      /unsorted\.onnx is not a valid ONNX model:\n {2}\[topological-order\] input "MatMul_0_out" is read before the node that produces it/,
    );
  });

  it('fails a structurally valid model that onnxruntime cannot load', async () => {
    const g = mlp();
    g.node('NoSuchOp', ['x']);
    await expect(expectValidModel(g.build())).rejects.toThrow(
      /passes the validator but onnxruntime cannot load it: .*NoSuchOp/,
    );
  });
});
