/** inspect counts every float tensor wherever the exporter put it, and says where each lives. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ifBranchesModel,
  legacyPytorchModel,
  paddleStyleModel,
  type ExporterModel,
} from '../testing/exporter-models.js';
import { inspectModel } from './inspect.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-inspect-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function inspect(m: ExporterModel, file: string) {
  const path = join(dir, file);
  await writeFile(path, m.model.toBytes());
  return inspectModel(path);
}

describe('inspectModel: parameters wherever they live', () => {
  it('Paddle2ONNX: all parameters are in Constant nodes, none in initializers', async () => {
    const r = await inspect(paddleStyleModel(11), 'paddle.onnx');
    // conv 432 + 16, BN 4 x 16, conv 4608 + 32, Resize roi 0 and scales 4, ConvTranspose 4608 + 16, linear 1024 + 64
    expect(r.parameterCount).toBe(432 + 16 + 64 + 4608 + 32 + 0 + 4 + 4608 + 16 + 1024 + 64);
    expect(r.weights.places).toEqual([
      { home: 'constant', tensors: 14, elements: r.parameterCount, bytes: 4 * r.parameterCount },
    ]);
    expect(r.initializers).toEqual([]);
    expect(r.weights.tensors.find((t) => t.name === 'conv2d_1.w_0')).toEqual({
      name: 'conv2d_1.w_0',
      dtype: 'float32',
      shape: [32, 16, 3, 3],
      home: 'constant',
      node: 'conv2d_1.w_0_Constant',
    });
  });

  it('IR 3: initializers that are also graph inputs, counted once and said so', async () => {
    const r = await inspect(legacyPytorchModel(), 'legacy.onnx');
    expect(r.parameterCount).toBe(1728 + 64 + 10240 + 10);
    expect(r.weights.places).toEqual([{ home: 'graph-input', tensors: 4, elements: 12042, bytes: 4 * 12042 }]);
    expect(r.inputs.map((i) => i.name)).toEqual(['input.1']);
  });

  it('If: the outer weight, and each branch by node and attribute name', async () => {
    const r = await inspect(ifBranchesModel(), 'if.onnx');
    expect(r.parameterCount).toBe(1024 + 2048 + 2048);
    expect(r.weights.places).toEqual([
      { home: 'initializer', tensors: 1, elements: 1024, bytes: 4096 },
      { home: 'subgraph-initializer', scope: 'If_0/then_branch', tensors: 1, elements: 2048, bytes: 8192 },
      { home: 'subgraph-constant', scope: 'If_0/else_branch', tensors: 1, elements: 2048, bytes: 8192 },
    ]);
    expect(r.weights.tensors.map((t) => [t.name, t.scope ?? '', t.node ?? ''])).toEqual([
      ['encoder.weight', '', ''],
      ['w', 'If_0/then_branch', ''],
      ['w', 'If_0/else_branch', 'else_w_Constant'],
    ]);
  });
});
