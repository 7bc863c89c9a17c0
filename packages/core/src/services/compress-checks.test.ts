/**
 * compress's checks around the methods, through test compressors registered in a Registry: the
 * input must open in onnxruntime before any work (exit 2), an output that fails the validator or
 * does not load is mc's bug (exit 1) and leaves nothing on disk, drift is measured against
 * hand-computed values, and the file's real cost is reported.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Compressor, CompressReport } from '../contracts.js';
import { createRunContext } from '../context.js';
import { compressor } from '../declarations.js';
import { DataType } from '../onnx/dtypes.js';
import type { OnnxModel } from '../onnx/model.js';
import { Registry } from '../registry.js';
import { OrtSessionFactory } from '../session/factory.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { compressModel, type CompressRequest } from './compress.js';

let dir: string;
let source: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'mc-compress-checks-'));
  source = join(dir, 'mlp.onnx');
  await fs.writeFile(source, mlp().toBytes());
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** x [batch, 8] -> MatMul w1 [8, 16] -> Relu -> MatMul w2 [16, 4] -> logits: 192 parameters. */
function mlp(extra?: (g: GraphBuilder) => void): GraphBuilder {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['batch', 8]);
  const w1 = g.initializer(
    'w1',
    DataType.FLOAT,
    [8, 16],
    Float32Array.from({ length: 128 }, (_, i) => Math.sin(i + 1)),
  );
  const w2 = g.initializer(
    'w2',
    DataType.FLOAT,
    [16, 4],
    Float32Array.from({ length: 64 }, (_, i) => Math.cos(3 * i + 1)),
  );
  g.output(g.node('MatMul', [g.relu(g.matMul(x, w1)), w2], {}, { outputs: ['logits'] })[0], DataType.FLOAT, [
    'batch',
    4,
  ]);
  extra?.(g);
  return g;
}

const report = (method: string): CompressReport => ({ method, params: {}, tensors: [], notes: [] });

/** A method that rewrites w2 with `f`, or edits the graph with `edit`; `calls` counts its runs. */
function method(id: string, change: (model: OnnxModel) => void, calls = { n: 0 }): Compressor {
  return {
    id,
    summary: `test method ${id}`,
    params: [],
    async compress(model) {
      calls.n++;
      change(model);
      return report(id);
    },
  };
}

const scaleW2 = (factor: number) => (m: OnnxModel) =>
  m.setInitializer(
    'w2',
    DataType.FLOAT,
    [16, 4],
    m
      .getInitializer('w2')!
      .readFloat32()
      .map((v) => v * factor),
  );

function setup(compressors: Compressor[]) {
  const registry = new Registry();
  for (const c of compressors)
    registry.add(
      { name: 'test-methods', version: '0.0.0' },
      compressor(() => c),
    );
  let stderr = '';
  const stream = { write: (s: string) => ((stderr += s), true), isTTY: false } as unknown as NodeJS.WriteStream;
  const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent', stream });
  return { registry, ctx, stderr: () => stderr };
}

const request = (id: string, out: string, more: Partial<CompressRequest> = {}): CompressRequest => ({
  model: source,
  methods: [{ id, params: {} }],
  out,
  seed: 0,
  ...more,
});

describe('compress: drift and the real cost of the file', () => {
  it('measures the relative output error of a 1 % scaled head: 1 %, top-1 all agreeing; and file bits per parameter', async () => {
    const { registry, ctx, stderr } = setup([method('scale', scaleW2(1.01))]);
    const out = join(dir, 'scaled.onnx');
    const r = await compressModel(registry, request('scale', out), ctx);
    if (!r.drift.measured) throw new Error(r.drift.reason);
    expect(r.drift.probes).toBe(8);
    expect(r.drift.inputs).toBe('random');
    const [logits] = r.drift.outputs;
    // logits are linear in w2: y' = 1.01 y, so ||y' - y|| / ||y|| = 0.01 up to float32 rounding
    expect(logits.name).toBe('logits');
    expect(logits.relativeError).toBeCloseTo(0.01, 5);
    expect(logits.top1Agreement).toBe(1);
    expect(logits.positions).toBe(16); // 8 probes x batch 2
    expect(r.drift.warning).toBeUndefined();
    expect(stderr()).not.toMatch(/warning/);
    expect(r.parameters).toBe(192);
    expect(r.fileBitsPerParameter).toBe((8 * (await fs.stat(out)).size) / 192);
  });

  it('warns when the output is destroyed: a negated head has relative error 200 % and no top-1 agreement', async () => {
    const { registry, ctx, stderr } = setup([method('negate', scaleW2(-1))]);
    const r = await compressModel(registry, request('negate', join(dir, 'negated.onnx')), ctx);
    if (!r.drift.measured) throw new Error(r.drift.reason);
    expect(r.drift.outputs[0].relativeError).toBeCloseTo(2, 5);
    expect(r.drift.outputs[0].top1Agreement).toBe(0);
    expect(r.drift.warning).toMatch(/logits: relative error 200%, top-1 agreement 0%/);
    expect(stderr()).toMatch(
      /^warning: large drift from the dense model \(logits: relative error 200%, top-1 agreement 0%; large means/m,
    );
  });

  it('the same seed gives the same probes and numbers; --probes 0 measures nothing; --probe-dataset with --probes 0 is refused', async () => {
    const { registry, ctx } = setup([method('scale', scaleW2(0.9))]);
    const a = await compressModel(registry, request('scale', join(dir, 'seed-a.onnx'), { seed: 3 }), ctx);
    const b = await compressModel(registry, request('scale', join(dir, 'seed-b.onnx'), { seed: 3 }), ctx);
    expect(a.drift).toEqual(b.drift);
    const none = await compressModel(registry, request('scale', join(dir, 'none.onnx'), { probes: 0 }), ctx);
    expect(none.drift).toEqual({ measured: false, reason: 'disabled with --probes 0' });
    await expect(
      compressModel(registry, request('scale', join(dir, 'x.onnx'), { probes: 0, probeDataset: 'text.jsonl' }), ctx),
    ).rejects.toMatchObject({ code: 'E_BAD_PARAM', exitCode: 2 });
  });

  it('reports "not measured" with the reason where an input cannot be probed, and still writes the output', async () => {
    const path = join(dir, 'source-sr.onnx');
    await fs.writeFile(
      path,
      mlp((g) => g.output(g.identity(g.input('sr', DataType.INT64, [])), DataType.INT64)).toBytes(),
    );
    const { registry, ctx } = setup([method('scale', scaleW2(2))]);
    const out = join(dir, 'sr-out.onnx');
    const r = await compressModel(registry, { ...request('scale', out), model: path }, ctx);
    expect(r.drift).toEqual({
      measured: false,
      reason: expect.stringMatching(/^input "sr" is int64 and mc cannot tell which values it takes/),
    });
    await fs.access(out);
  });
});

describe("compress: an output that fails a check is mc's bug, and never reaches disk", () => {
  const cases: [string, (m: OnnxModel) => void, RegExp][] = [
    [
      'a second initializer of one name',
      (m) => void m.proto.graph!.initializer!.push({ ...m.proto.graph!.initializer![0] }),
      /failed validation, so it was not written: \[duplicate-definition\] initializer "w1" is defined twice/,
    ],
    [
      'a node reading a value nothing defines',
      (m) => void (m.nodes[1].input![0] = 'gone'),
      /\[undefined-input\] input "gone" is not defined/,
    ],
    [
      'an op onnxruntime does not know',
      (m) => m.addNode({ name: 'odd', opType: 'NoSuchOp', input: ['logits'], output: ['odd_out'] }),
      /the compressed model does not load in onnxruntime, so it was not written: .*NoSuchOp/,
    ],
  ];
  it.each(cases)(
    '%s: exit 1 naming the check; no file, no staging folder (file and folder targets)',
    async (_, change, message) => {
      const out = await fs.mkdtemp(join(dir, 'bug-'));
      const { registry, ctx } = setup([method('buggy', change)]);
      for (const target of [join(out, 'out.onnx'), join(out, 'folder')]) {
        await expect(compressModel(registry, request('buggy', target), ctx)).rejects.toMatchObject({
          code: 'E_BUG',
          exitCode: 1,
          message: expect.stringMatching(message),
        });
      }
      expect(await fs.readdir(out)).toEqual([]);
    },
  );

  it("opens the input in onnxruntime before any method runs: a model it refuses is the user's (exit 2)", async () => {
    const path = join(dir, 'source-unknown-op.onnx');
    await fs.writeFile(path, mlp((g) => g.node('NoSuchOp', ['logits'])).toBytes());
    const calls = { n: 0 };
    const { registry, ctx } = setup([method('scale', scaleW2(2), calls)]);
    const out = await fs.mkdtemp(join(dir, 'refused-'));
    await expect(
      compressModel(registry, { ...request('scale', join(out, 'o.onnx')), model: path }, ctx),
    ).rejects.toMatchObject({
      code: 'E_BAD_MODEL',
      exitCode: 2,
      message: expect.stringMatching(/^onnxruntime cannot load .*source-unknown-op\.onnx: .*NoSuchOp/),
    });
    expect(calls.n).toBe(0);
    expect(await fs.readdir(out)).toEqual([]);

    // --probes 0 opens no session on the input before the work; when the output then fails to load,
    // the input is opened after all, and the fault is still the user's
    await expect(
      compressModel(registry, { ...request('scale', join(out, 'o.onnx')), model: path, probes: 0 }, ctx),
    ).rejects.toMatchObject({ code: 'E_BAD_MODEL', exitCode: 2 });
    expect(calls.n).toBe(1);
    expect(await fs.readdir(out)).toEqual([]);
  });
});

describe('compress: the checks on a model whose weights onnxruntime maps from the file (at least 1 MiB)', () => {
  // x [batch, 512] -> MatMul w [512, 520] (1,064,960 bytes) -> logits
  const wide = (extra?: (g: GraphBuilder) => void): GraphBuilder => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, ['batch', 512]);
    const w = g.initializer(
      'w',
      DataType.FLOAT,
      [512, 520],
      Float32Array.from({ length: 512 * 520 }, (_, i) => Math.sin(i / 7)),
    );
    g.output(g.node('MatMul', [x, w], {}, { outputs: ['logits'] })[0], DataType.FLOAT, ['batch', 520]);
    extra?.(g);
    return g;
  };
  const scaleW = (factor: number) => (m: OnnxModel) =>
    m.setInitializer(
      'w',
      DataType.FLOAT,
      [512, 520],
      m
        .getInitializer('w')!
        .readFloat32()
        .map((v) => v * factor),
    );

  it('measures the drift of a 1 % scaled weight as 1 %, and writes the output whole', async () => {
    const path = join(dir, 'wide.onnx');
    await wide().build().save(path);
    const { registry, ctx } = setup([method('scale', scaleW(1.01))]);
    const out = join(dir, 'wide-scaled.onnx');
    const r = await compressModel(registry, { ...request('scale', out), model: path }, ctx);
    if (!r.drift.measured) throw new Error(r.drift.reason);
    expect(r.drift.outputs[0].relativeError).toBeCloseTo(0.01, 5);
    // the weights released before the output's session are the ones on disk, scaled
    const session = await new OrtSessionFactory({ device: 'cpu' }).create(out);
    const x = Float32Array.from({ length: 512 }, (_, i) => (i % 5) - 2);
    const dense = await new OrtSessionFactory({ device: 'cpu' }).create(path);
    const [y, y0] = [
      await session.run({ x: { type: 'float32', data: x, dims: [1, 512] } }),
      await dense.run({ x: { type: 'float32', data: x, dims: [1, 512] } }),
    ];
    const got = y.logits.data as Float32Array;
    const want = y0.logits.data as Float32Array;
    for (let i = 0; i < want.length; i += 37) expect(got[i]).toBeCloseTo(1.01 * want[i], 3);
    await Promise.all([session.release(), dense.release()]);
    expect(r.output.bytes).toBe((await fs.stat(out)).size);
  });

  it("an input onnxruntime refuses is the user's (exit 2) before any work; an output it refuses is mc's (exit 1), and nothing is written", async () => {
    const refused = join(dir, 'wide-unknown-op.onnx');
    await wide((g) => g.node('NoSuchOp', ['logits']))
      .build()
      .save(refused);
    const calls = { n: 0 };
    const { registry, ctx } = setup([
      method('scale', scaleW(2), calls),
      method('buggy', (m) => m.addNode({ name: 'odd', opType: 'NoSuchOp', input: ['logits'], output: ['odd_out'] })),
    ]);
    const out = await fs.mkdtemp(join(dir, 'wide-refused-'));
    await expect(
      compressModel(registry, { ...request('scale', join(out, 'o.onnx')), model: refused }, ctx),
    ).rejects.toMatchObject({
      code: 'E_BAD_MODEL',
      exitCode: 2,
      message: expect.stringMatching(/^onnxruntime cannot load .*wide-unknown-op\.onnx: .*NoSuchOp/),
    });
    expect(calls.n).toBe(0);
    const good = join(dir, 'wide-good.onnx');
    await wide().build().save(good);
    await expect(
      compressModel(registry, { ...request('buggy', join(out, 'o.onnx')), model: good }, ctx),
    ).rejects.toMatchObject({
      code: 'E_BUG',
      exitCode: 1,
      message: expect.stringMatching(
        /the compressed model does not load in onnxruntime, so it was not written: .*NoSuchOp/,
      ),
    });
    expect(await fs.readdir(out)).toEqual([]);
  });
});

describe('compress: the input size counts its external data', () => {
  it('counts the data file even when the method replaced every tensor stored there', async () => {
    // x [batch, 64] -> MatMul w [64, 64]: 16 KiB of weights, spilled to `big.onnx.data`
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, ['batch', 64]);
    const w = g.initializer(
      'w',
      DataType.FLOAT,
      [64, 64],
      Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i + 1)),
    );
    g.output(g.matMul(x, w), DataType.FLOAT, ['batch', 64]);
    const path = join(dir, 'big.onnx');
    const saved = await g.build().save(path, { externalDataThreshold: 0 });
    expect(saved.externalDataPath).toBeDefined();
    const onDisk = (await fs.stat(path)).size + (await fs.stat(saved.externalDataPath!)).size;
    const halve = (m: OnnxModel) =>
      m.setInitializer(
        'w',
        DataType.FLOAT,
        [64, 64],
        m
          .getInitializer('w')!
          .readFloat32()
          .map((v) => v / 2),
      );
    const { registry, ctx } = setup([method('halve', halve)]);
    const r = await compressModel(registry, { ...request('halve', join(dir, 'big-out.onnx')), model: path }, ctx);
    expect(r.model.bytes).toBe(onDisk);
    expect(r.sizeRatio).toBeCloseTo(onDisk / r.output.bytes, 12);
  });

  it("a missing external data file is the model's fault: exit 2 naming it, before any method runs (fuzz seeds 104, 175)", async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', DataType.FLOAT, ['batch', 64]);
    g.output(
      g.matMul(x, g.initializer('w', DataType.FLOAT, [64, 64], new Float32Array(4096).fill(0.5))),
      DataType.FLOAT,
      ['batch', 64],
    );
    const sub = await fs.mkdtemp(join(dir, 'no-data-'));
    const path = join(sub, 'm.onnx');
    const saved = await g.build().save(path, { externalDataThreshold: 0 });
    await fs.rm(saved.externalDataPath!);
    const calls = { n: 0 };
    const { registry, ctx } = setup([method('halve', () => undefined, calls)]);
    for (const probes of [8, 0]) {
      const err = await compressModel(
        registry,
        { ...request('halve', join(sub, 'out.onnx')), model: path, probes },
        ctx,
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'E_BAD_MODEL', exitCode: 2, message: expect.stringMatching(/m\.onnx\.data/) });
    }
    expect(calls.n).toBe(0);
    expect(await fs.readdir(sub)).toEqual(['m.onnx']);
  });
});
