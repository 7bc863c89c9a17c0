import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../testing/graph-builder.js';
import { DataType } from './dtypes.js';
import { OnnxModel } from './model.js';
import { pb } from './proto.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'mc-onnx-load-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function write(name: string, bytes: Uint8Array | string): Promise<string> {
  const path = join(dir, name);
  await fs.writeFile(path, bytes);
  return path;
}

/** Errors users see are one line naming the file, with a hint. */
async function expectLoadError(path: string, code: string, message: RegExp): Promise<void> {
  const err = await OnnxModel.load(path).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string; hint?: string; exitCode: number },
  );
  expect(err).toMatchObject({ code, exitCode: 2, message: expect.stringMatching(message) });
  expect(err!.message).toContain(path);
  expect(err!.message).not.toContain('\n');
  expect(err!.hint).toBeTruthy();
}

/** A model whose graph is most of the file: 4 KiB of weights. */
function smallModel(): Uint8Array {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 32]);
  const w = g.initializer(
    'w',
    DataType.FLOAT,
    [32, 32],
    new Float32Array(1024).map((_, i) => i / 1024),
  );
  g.output(g.matMul(x, w), DataType.FLOAT, [1, 32]);
  return g.toBytes();
}

/** Deterministic bytes (an LCG), so a failure can be reproduced. */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('OnnxModel.load errors', () => {
  it('E_FILE_NOT_FOUND for a missing file', async () => {
    await expectLoadError(join(dir, 'missing.onnx'), 'E_FILE_NOT_FOUND', /^model not found: /);
  });

  it.each([
    ['random bytes', () => noise(4096)],
    ['other random bytes', () => noise(333, 7)],
    ['a text file', () => 'hello, this is not a model\nsecond line\n'],
    ['JSON', () => JSON.stringify({ irVersion: 8, graph: { node: [] } })],
    ['an empty file', () => new Uint8Array(0)],
    [
      'a serialized TensorProto',
      () => pb.TensorProto.encode({ dims: [3], dataType: 1, floatData: [1, 2, 3] }).finish(),
    ],
  ])('E_NOT_ONNX for %s', async (what, make) => {
    const path = await write(`${what.replace(/\W+/g, '-')}.onnx`, make());
    await expectLoadError(path, 'E_NOT_ONNX', /is not an ONNX model/);
  });

  it('E_NOT_ONNX for a ModelProto without a graph or opsets (valid protobuf, not a model)', async () => {
    const noGraph = await write(
      'no-graph.onnx',
      pb.ModelProto.encode({ irVersion: 8, opsetImport: [{ version: 17 }] }).finish(),
    );
    await expectLoadError(noGraph, 'E_NOT_ONNX', /has no graph/);
    const noOpset = await write('no-opset.onnx', pb.ModelProto.encode({ irVersion: 8, graph: { name: 'g' } }).finish());
    await expectLoadError(noOpset, 'E_NOT_ONNX', /has no opset_import/);
    const noIr = await write(
      'no-ir.onnx',
      pb.ModelProto.encode({ graph: { name: 'g' }, opsetImport: [{ version: 17 }] }).finish(),
    );
    await expectLoadError(noIr, 'E_NOT_ONNX', /has no ir_version/);
  });

  it('E_TRUNCATED_ONNX for a real model cut short', async () => {
    const bytes = smallModel();
    for (const fraction of [0.6, 0.1, 0.99]) {
      const path = await write(`cut-${fraction}.onnx`, bytes.subarray(0, Math.floor(bytes.length * fraction)));
      await expectLoadError(
        path,
        'E_TRUNCATED_ONNX',
        /is a truncated ONNX model \(\d+ bytes, but its graph needs \d+\)/,
      );
    }
  });

  it('E_NOT_ONNX for a folder', async () => {
    await expectLoadError(dir, 'E_NOT_ONNX', /is a folder/);
  });

  it('fromBytes names "model bytes" in its errors', () => {
    expect(() => OnnxModel.fromBytes(noise(100))).toThrow(
      expect.objectContaining({ code: 'E_NOT_ONNX', message: expect.stringMatching(/^model bytes /) }),
    );
  });
});

describe('OnnxModel.load of a good file', () => {
  it('reads the graph, with int64 fields as numbers', async () => {
    const path = await write('good.onnx', smallModel());
    const model = await OnnxModel.load(path);
    expect(model.sourcePath).toBe(path);
    expect(model.baseDir).toBe(dir);
    expect(model.opset()).toBe(17);
    expect(model.proto.irVersion).toBe(8);
    expect(model.nodes.map((n) => n.opType)).toEqual(['MatMul']);
    expect(model.inputs.map((i) => i.name)).toEqual(['x']);
    expect(model.inputs[0].type?.tensorType?.shape?.dim?.map((d) => d.dimValue)).toEqual([1, 32]);
    expect(model.outputs.map((o) => o.name)).toEqual(['MatMul_0_out']);
    const w = model.getInitializer('w')!;
    expect(w.dims).toEqual([32, 32]);
    expect(w.byteLength).toBe(4096);
    expect(w.readFloat32()[1023]).toBe(Math.fround(1023 / 1024));
    expect(model.parameterCount()).toBe(1024);
  });

  it('drops protobuf fields that onnx-proto (ONNX 1.10) does not know, such as NodeProto.metadata_props', () => {
    // NodeProto field 9 (metadata_props, ONNX 1.16) appended by hand: tag (9 << 3 | 2), length, entry.
    const entry = pb.StringStringEntryProto.encode({ key: 'k', value: 'v' }).finish();
    const node = pb.NodeProto.encode({ opType: 'Identity', input: ['x'], output: ['y'] }).finish();
    const withField = Uint8Array.from([...node, 0x4a, entry.length, ...entry]);
    const decoded = pb.NodeProto.decode(Buffer.from(withField));
    expect(decoded.opType).toBe('Identity');
    expect(pb.NodeProto.encode(decoded).finish()).toEqual(node);
  });
});
