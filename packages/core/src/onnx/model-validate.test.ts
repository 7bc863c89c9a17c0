/**
 * Issue 17 items 8 and 9 at the model boundary: load() refuses a graph that breaks ONNX's rules with
 * one line (exit 2), and save() sorts the graph, then refuses (as mc's bug, exit 1) to write one
 * that still breaks them, leaving no file.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrt } from '../session/factory.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { DataType } from './dtypes.js';
import { OnnxModel } from './model.js';
import { pb, type onnx } from './proto.js';
import { validateModel } from './validate/index.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'mc-onnx-validate-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function mlp(): onnx.IModelProto {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 4]);
  const w = g.initializer(
    'w',
    DataType.FLOAT,
    [4, 4],
    new Float32Array(16).map((_, i) => i / 16),
  );
  g.output(g.relu(g.matMul(x, w)), DataType.FLOAT, [1, 4]);
  return g.toProto();
}

async function write(name: string, model: onnx.IModelProto): Promise<{ path: string; bytes: Buffer }> {
  const path = join(dir, name);
  const bytes = Buffer.from(pb.ModelProto.encode(model).finish());
  await fs.writeFile(path, bytes);
  return { path, bytes };
}

async function loadError(path: string): Promise<{ code: string; message: string; exitCode: number; hint?: string }> {
  return OnnxModel.load(path).then(
    () => {
      throw new Error(`${path} loaded`);
    },
    (e: unknown) => e as { code: string; message: string; exitCode: number },
  );
}

describe('OnnxModel.load validates its input', () => {
  const cases: [string, (m: onnx.IModelProto) => void, RegExp][] = [
    [
      'two initializers of the same name',
      (m) => m.graph!.initializer!.push({ ...m.graph!.initializer![0] }),
      /\[duplicate-definition\] initializer "w" is defined twice/,
    ],
    [
      'a value defined twice',
      (m) => m.graph!.node!.push({ name: 'again', opType: 'Identity', input: ['x'], output: ['MatMul_0_out'] }),
      /\[duplicate-definition\] value "MatMul_0_out" is produced by two nodes/,
    ],
    [
      'an unknown attribute type',
      (m) => (m.graph!.node![1].attribute = [{ name: 'alpha', type: 42 as never, f: 0.5 }]),
      /\[attribute-type\] attribute "alpha" has unknown type 42 \(it holds f\) \(node "Relu_0"\)/,
    ],
    [
      'a reference to a missing value',
      (m) => (m.graph!.node![1].input = ['gone']),
      /\[undefined-input\] input "gone" is not defined/,
    ],
  ];
  it.each(cases)('refuses %s: one line, exit 2, the file untouched', async (name, change, message) => {
    const model = mlp();
    change(model);
    const { path, bytes } = await write(`${name.replace(/\W+/g, '-')}.onnx`, model);
    const e = await loadError(path);
    expect(e).toMatchObject({ code: 'E_INVALID_MODEL', exitCode: 2 });
    expect(e.message).toMatch(message);
    expect(e.message).toContain(path);
    expect(e.message).not.toContain('\n');
    expect(e.hint).toBeTruthy();
    expect(await fs.readFile(path)).toEqual(bytes);
  });

  it('refuses an int64 dim past 2^53 (an 83-byte model) as bad input, not "does not fit a JS number"', async () => {
    const big = { low: 1, high: 0x200000, unsigned: false }; // 2^53 + 1
    const model: onnx.IModelProto = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: big as never }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    };
    const { path, bytes } = await write('big-dim.onnx', model);
    expect(bytes.length).toBeLessThan(100);
    const e = await loadError(path);
    expect(e).toMatchObject({ code: 'E_INVALID_MODEL', exitCode: 2 });
    expect(e.message).toMatch(/\[dims\] graph input "x" has shape dimension 9007199254740993 is past 2\^53/);

    const init: onnx.IModelProto = {
      ...model,
      graph: {
        name: 'g',
        node: [{ opType: 'Identity', input: ['w'], output: ['y'] }],
        initializer: [{ name: 'w', dataType: 1, dims: [big as never] }],
        output: [{ name: 'y' }],
      },
    };
    const e2 = await loadError((await write('big-init.onnx', init)).path);
    expect(e2).toMatchObject({
      code: 'E_INVALID_MODEL',
      exitCode: 2,
      message: expect.stringMatching(/initializer "w" has dimension 9007199254740993 is past 2\^53/),
    });
  });

  it('takes a graph whose nodes are out of order (onnxruntime does too) and writes it sorted', async () => {
    const model = mlp();
    model.graph!.node!.reverse();
    const { path } = await write('unsorted.onnx', model);
    const loaded = await OnnxModel.load(path);
    const out = join(dir, 'sorted.onnx');
    await loaded.save(out);
    const saved = await OnnxModel.load(out);
    expect(saved.nodes.map((n) => n.name)).toEqual(['MatMul_0', 'Relu_0']);
    expect(validateModel(saved.proto)).toEqual([]);
  });
});

describe('OnnxModel.save validates its output', () => {
  it("an invalid graph is mc's bug: exit 1 naming the check, and no file left", async () => {
    const out = join(dir, 'bad-out');
    await fs.mkdir(out);
    const model = OnnxModel.fromProto(mlp());
    // what a buggy method could do: a second producer of a value
    model.nodes.push({ name: 'dup', opType: 'Identity', input: ['x'], output: ['Relu_0_out'] });
    await expect(model.save(join(out, 'm.onnx'))).rejects.toMatchObject({
      code: 'E_BUG',
      exitCode: 1,
      message: expect.stringMatching(
        /^the model for m\.onnx failed validation, so it was not written: \[duplicate-definition\] value "Relu_0_out" is produced by two nodes/,
      ),
    });
    expect(await fs.readdir(out)).toEqual([]);
  });

  it('raises the IR version to what the data types need (int4 needs IR 10), and onnxruntime loads the result', async () => {
    const g = new GraphBuilder({ opset: 21, irVersion: 8 });
    const x = g.input('x', DataType.FLOAT, [1, 4]);
    const q = g.initializer('q', DataType.INT4, [4, 4], new Int8Array(16).fill(3));
    const s = g.initializer('s', DataType.FLOAT, [], Float32Array.of(0.5));
    const [w] = g.node('DequantizeLinear', [q, s]);
    g.output(g.matMul(x, w), DataType.FLOAT, [1, 4]);
    const path = join(dir, 'int4.onnx');
    await g.build().save(path);
    const saved = await OnnxModel.load(path);
    expect(saved.proto.irVersion).toBe(10);
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(path);
    await session.release();
  });
});
