/**
 * Hyper-compression as a user runs it (spec hyper-compression.md §9): `mc compress --method hyper`
 * writes a valid model (graph check: topological order, one definition per value) that a plain
 * onnxruntime-node session runs, with outputs equal bit for bit to the dense model rebuilt from the
 * codec's own decode of each weight, at opset 17 and 9, with the shared decode function (IR 8) or
 * inline nodes (IR 7); --decode run matches --decode load; `mc decompress` gives those decoded
 * floats back; mnist-cnn at --target-bpw 4.5 fits 64 KiB; bad input is one line and exit code 2.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DataType, OnnxModel } from '@mc-kit/core';
import { expectValidModel, GraphBuilder } from '@mc-kit/core/testing';
import { decodeTensor, encodeTensor, PRESETS } from '../plugins/hyper/src/codec/index.js';
import { graphProblems } from '../plugins/hyper/src/onnx/valid-graph.fixture.js';
import { filesIn, HAS_SHARED, lines, runMc, SHARED, tempDir, warnSkip } from './helpers/cli.js';

const MNIST = join(SHARED, 'models/mnist-cnn/model.onnx');
const describeShared = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) warnSkip('the hyper end-to-end tests on mnist-cnn');

interface CompressJson {
  output: { path: string; bytes: number };
  bitsPerWeight: number;
  steps: {
    method: string;
    bitsPerWeight: number;
    notes: string[];
    tensors: { name: string; action: string; bitsPerWeight?: number; bytesAfter: number }[];
  }[];
}

/**
 * Every model a test writes passes core's validator and loads in onnxruntime (expectValidModel), and
 * hyper's own graph check for what core's does not look at: model-local function bodies, the IR 3
 * rule (every initializer a graph input), one element type per name.
 */
async function expectValid(path: string): Promise<void> {
  await expectValidModel(path);
  expect(graphProblems(await OnnxModel.load(path))).toEqual([]);
}

async function compress(args: string[]): Promise<CompressJson> {
  const run = await runMc(['compress', ...args, '--json', '--results', tempDir()], { timeoutMs: 300_000 });
  if (run.code !== 0) throw new Error(`mc compress failed (${run.code}): ${run.stderr}${run.stdout}`);
  const json = JSON.parse(run.stdout) as CompressJson;
  await expectValid(json.output.path);
  return json;
}

async function decompress(src: string, out: string): Promise<void> {
  const r = await runMc(['decompress', src, '--out', out]);
  expect(r.code).toBe(0);
  await expectValid(out);
}

/** Deterministic N(0, sd) weights (Box-Muller over a 32-bit LCG). */
function normal(n: number, seed: number, sd: number): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 2 ** 32;
  return Float32Array.from({ length: n }, () => sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/** Gather (odd element count: a pad value) -> MatMul -> Relu -> Gemm -> Reshape -> Conv: every op exists at opset 9. */
function buildModel(weights: Record<string, Float32Array> = {}, opset = 17, irVersion = 8): OnnxModel {
  const g = new GraphBuilder({ opset, irVersion });
  const ids = g.input('ids', DataType.INT64, ['batch']);
  const x = g.input('x', DataType.FLOAT, ['batch', 63]);
  const w = (name: string, dims: number[], seed: number) =>
    g.initializer(
      name,
      DataType.FLOAT,
      dims,
      weights[name] ??
        normal(
          dims.reduce((a, b) => a * b, 1),
          seed,
          0.05,
        ),
    );
  const h = g.add(x, g.gather(w('emb', [65, 63], 1), ids));
  const h1 = g.relu(g.matMul(h, w('w1', [63, 64], 2)));
  // Gemm's C is required until opset 11: one zero, too small to be a candidate
  const h2 = g.gemm(h1, w('w2', [64, 64], 3), g.initializer('b2', DataType.FLOAT, [1], new Float32Array(1)));
  const y = g.conv(g.reshape(h2, [-1, 4, 4, 4]), w('conv', [128, 4, 3, 3], 4), undefined, { pads: [1, 1, 1, 1] });
  g.output(y, DataType.FLOAT, ['batch', 128, 4, 4]);
  return g.build();
}

const WEIGHTS = ['emb', 'w1', 'w2', 'conv'];

/** The dense model with each named weight replaced by the codec's decode of its encoding. */
function codecDecoded(model: OnnxModel, names: readonly string[], settings = PRESETS.unet): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const name of names) {
    const init = model.getInitializer(name)!;
    const enc = encodeTensor(name, init.readFloat32(), settings);
    if (enc.kind !== 'hyper') throw new Error(`${name} stayed raw`);
    out.set(name, decodeTensor(enc));
  }
  return out;
}

async function writeWith(model: OnnxModel, weights: Map<string, Float32Array>, path: string): Promise<string> {
  for (const [name, w] of weights) model.setInitializer(name, DataType.FLOAT, [...model.getInitializer(name)!.dims], w);
  await model.save(path);
  return path;
}

async function runPlain(
  path: string,
  feeds: Record<string, ort.Tensor>,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path, { logSeverityLevel: 3, ...options });
  const out = await session.run(feeds);
  const y = out[session.outputNames[0]].data as Float32Array;
  await session.release();
  return y;
}

const toyFeeds = () => ({
  ids: new ort.Tensor('int64', BigInt64Array.from([0n, 7n, 64n]), [3]),
  x: new ort.Tensor('float32', normal(3 * 63, 9, 1), [3, 63]),
});

async function denseInitializers(path: string, names: readonly string[]): Promise<Map<string, Float32Array>> {
  const m = await OnnxModel.load(path);
  return new Map(names.map((n) => [n, m.getInitializer(n)!.readFloat32()]));
}

// opset 17 and 9 carry the decode as model-local functions (IR 8); IR 7 cannot, so its nodes are
// written per tensor. Opset 9 unpacks without Range (opset 11) and slices with attributes.
describe.each([
  [17, 8, 'function'],
  [9, 8, 'function'],
  [9, 7, 'inline'],
] as const)(
  'hyper on a GraphBuilder model (MatMul, Gemm, Conv, Gather) at opset %i, IR %i: %s decode',
  (opset, ir, form) => {
    const dir = tempDir('mc-hyper-');
    const dense = join(dir, 'dense.onnx');
    const build = () => buildModel({}, opset, ir);
    let load: CompressJson;
    let run: CompressJson;
    let expected: Float32Array;
    let decoded: Map<string, Float32Array>;

    beforeAll(async () => {
      await build().save(dense);
      decoded = codecDecoded(build(), WEIGHTS);
      expected = await runPlain(await writeWith(build(), decoded, join(dir, 'expected.onnx')), toyFeeds());
      load = await compress([dense, '--method', 'hyper', '--out', join(dir, 'load.onnx')]);
      run = await compress([dense, '--method', 'hyper', '--decode', 'run', '--out', join(dir, 'run.onnx')]);
    }, 300_000);

    it('encodes all four weights and reports honest bits per weight', async () => {
      const hyper = load.steps[0].tensors
        .filter((t) => t.action === 'hyper')
        .map((t) => t.name)
        .sort();
      expect(hyper).toEqual([...WEIGHTS].sort());
      // Stored per tensor: ceil(P·bits/8) index bytes + 2 guard bytes, the float32 table of
      // (n+1)(K+1) pairs, the int64 header [bits, nz, numel, ...shape]. Once per model, the decode's
      // int64 constants. Opset 17, Indices: 0, 1, 2, 8, 24, 256, 65536 and 2^0..2^23 (31 values);
      // Decode: [-1], [0], [2], [3] and the slice end [2^31 − 1] (5 values). Opset 9, Indices: 0, 1,
      // 2, 8, [-1], [1], [18], the [128 .. 1] byte divisors and [2^17 .. 2^0] column weights (33
      // values); Decode: [-1] (its slices take attributes), and DecodeOdd the same, for the odd
      // 'emb'. Inline, each distinct value once: DecodeOdd's and Decode's [-1] is Indices' one.
      const model = build();
      const indices = opset >= 11 ? 31 : 33;
      const decode = opset >= 11 ? 5 : 1;
      const constants =
        form === 'function' ? indices + decode + (opset < 10 ? decode : 0) : opset >= 11 ? indices + decode : indices;
      let bytes = 8 * constants;
      let weights = 0;
      for (const name of WEIGHTS) {
        const init = model.getInitializer(name)!;
        const enc = encodeTensor(name, init.readFloat32(), PRESETS.unet);
        if (enc.kind !== 'hyper') throw new Error(name);
        bytes += Math.ceil((enc.pairs * enc.bits) / 8) + 2 + 8 * (enc.n + 1) * (enc.K + 1) + 8 * (3 + init.dims.length);
        weights += init.elementCount;
      }
      expect(load.steps[0].bitsPerWeight).toBeCloseTo((8 * bytes) / weights, 9);
      const written = await OnnxModel.load(load.output.path);
      expect(
        JSON.parse(written.getMetadata('mc.hyper')!)
          .tensors.map((t: { name: string }) => t.name)
          .sort(),
      ).toEqual([...WEIGHTS].sort());
      expect(written.opset('')).toBe(opset); // at the model's own opset: nothing converted
      expect((written.proto.functions ?? []).map((f) => f.name).sort()).toEqual(
        form === 'inline' ? [] : opset < 10 ? ['Decode', 'DecodeOdd', 'Indices'] : ['Decode', 'Indices'],
      );
    });

    it('a plain onnxruntime session gives exactly the outputs of the codec-decoded dense model', async () => {
      const got = await runPlain(load.output.path, toyFeeds());
      expect(got.length).toBe(3 * 128 * 16);
      expect(Array.from(got)).toEqual(Array.from(expected));
    });

    it('--decode run keeps the packed bytes as overridable inputs and gives the same outputs', async () => {
      const session = await ort.InferenceSession.create(run.output.path, { logSeverityLevel: 3 });
      expect([...session.inputNames].sort()).toEqual(['ids', 'x']); // nothing extra to feed
      await session.release();
      // Same kernels on both sides (no folding, no weight prepacking by graph rewrites): bit for bit.
      const plain = { graphOptimizationLevel: 'disabled' as const };
      expect(Array.from(await runPlain(run.output.path, toyFeeds(), plain))).toEqual(
        Array.from(await runPlain(load.output.path, toyFeeds(), plain)),
      );
      // Default options: load's weights are constants that onnxruntime prepacks for its GEMM, run's are
      // computed per call, so the summation order (not the weights) differs: float32 rounding only.
      const got = await runPlain(run.output.path, toyFeeds());
      const scale = Math.max(...expected.map(Math.abs));
      expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-5 * scale);
    });

    it('mc decompress gives back exactly the decoded floats, and the dense graph: no decode node, function or opset import left', async () => {
      for (const src of [load.output.path, run.output.path]) {
        const out = join(dir, `back-${src.endsWith('run.onnx') ? 'run' : 'load'}.onnx`);
        await decompress(src, out);
        const back = await denseInitializers(out, WEIGHTS);
        for (const name of WEIGHTS) expect(Array.from(back.get(name)!)).toEqual(Array.from(decoded.get(name)!));
        const m = await OnnxModel.load(out);
        const d = await OnnxModel.load(dense);
        expect(m.getMetadata('mc.hyper')).toBeUndefined();
        expect(m.nodes.map((n) => n.opType)).toEqual(d.nodes.map((n) => n.opType));
        expect(m.proto.functions ?? []).toEqual([]);
        expect(m.proto.opsetImport!.map((o) => o.domain)).toEqual(d.proto.opsetImport!.map((o) => o.domain));
        expect(m.inputs.map((i) => i.name)).toEqual(d.inputs.map((i) => i.name));
      }
    });
  },
);

describe('hyper on a legacy export (IR 3, opset 9: every initializer also a graph input)', () => {
  it('lists its own initializers as graph inputs too, runs exactly, decompresses to the same form; --decode run is refused', async () => {
    const dir = tempDir('mc-hyper-ir3-');
    const legacy = () => {
      const m = buildModel({}, 9, 3);
      for (const t of m.proto.graph!.initializer!)
        m.inputs.push({
          name: t.name!,
          type: {
            tensorType: { elemType: t.dataType!, shape: { dim: t.dims!.map((d) => ({ dimValue: Number(d) })) } },
          },
        });
      return m;
    };
    const dense = join(dir, 'dense.onnx');
    await legacy().save(dense);
    await expectValid(dense);
    const r = await compress([dense, '--method', 'hyper', '--out', join(dir, 'h.onnx')]);
    const m = await OnnxModel.load(r.output.path);
    expect(m.inputs.filter((i) => i.name?.endsWith('.hyper.packed')).length).toBe(WEIGHTS.length);
    const expected = await runPlain(
      await writeWith(legacy(), codecDecoded(legacy(), WEIGHTS), join(dir, 'expected.onnx')),
      toyFeeds(),
    );
    expect(Array.from(await runPlain(r.output.path, toyFeeds()))).toEqual(Array.from(expected));
    const back = join(dir, 'back.onnx');
    await decompress(r.output.path, back);
    expect((await OnnxModel.load(back)).inputs.map((i) => i.name).sort()).toEqual(
      (await OnnxModel.load(dense)).inputs.map((i) => i.name).sort(),
    );
    const run = await runMc([
      'compress',
      dense,
      '--method',
      'hyper',
      '--decode',
      'run',
      '--out',
      join(dir, 'run.onnx'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--decode run needs IR version 4 or later/);
  }, 120_000);
});

/** x -> MatMul(small [32, 32]) -> MatMul(big [32, 160]): the small weight's exact table (226·4 pairs) outweighs its float32. */
/** MatMul -> Add(bias) -> LayerNormalization(scale, shift) -> Conv with a small bias: the rank-1 parameters. */
function buildVectors(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['batch', 64]);
  const f = (name: string, dims: number[], seed: number, mean = 0) =>
    g.initializer(
      name,
      DataType.FLOAT,
      dims,
      normal(
        dims.reduce((a, b) => a * b, 1),
        seed,
        0.05,
      ).map((v) => v + mean),
    );
  const h = g.add(g.matMul(x, f('w', [64, 2048], 21)), f('b', [2048], 22));
  const [ln] = g.node('LayerNormalization', [h, f('ln.scale', [2048], 23, 1), f('ln.shift', [2048], 24)], { axis: -1 });
  const y = g.conv(g.reshape(ln, [-1, 8, 16, 16]), f('conv.w', [16, 8, 3, 3], 25), f('conv.b', [16], 26), {
    pads: [1, 1, 1, 1],
  });
  g.output(y, DataType.FLOAT, ['batch', 16, 16, 16]);
  return g.build();
}

describe('hyper takes the rank-1 parameters too (spec §1.1: every parameter of >= 10 elements)', () => {
  it('biases and norm scale/shift are encoded where a table pays; the small conv bias stays float32, named; outputs follow the decode', async () => {
    const dir = tempDir('mc-hyper-vec-');
    const dense = join(dir, 'dense.onnx');
    await buildVectors().save(dense);
    const r = await compress([dense, '--method', 'hyper', '--out', join(dir, 'h.onnx')]);
    const action = new Map(r.steps[0].tensors.map((t) => [t.name, t.action]));
    expect(['w', 'b', 'ln.scale', 'ln.shift'].map((n) => action.get(n))).toEqual(['hyper', 'hyper', 'hyper', 'hyper']);
    expect(action.get('conv.b')).toBe('skipped'); // 16 values: any table costs more than 64 bytes
    const feeds = { x: new ort.Tensor('float32', normal(2 * 64, 27, 1), [2, 64]) };
    const expected = await runPlain(
      await writeWith(
        buildVectors(),
        codecDecoded(buildVectors(), ['w', 'b', 'ln.scale', 'ln.shift', 'conv.w']),
        join(dir, 'expected.onnx'),
      ),
      feeds,
    );
    const got = await runPlain(r.output.path, feeds);
    const scale = Math.max(...Array.from(expected, Math.abs));
    // compact tables (option B) are a few float32 ulps off the exact decode: far below 1e-4 of the output
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-4 * scale);
    // --no-vectors: the weights only, the vectors float32 and out of the average
    const w = await compress([dense, '--method', 'hyper', '--no-vectors', '--out', join(dir, 'w.onnx')]);
    const wAction = new Map(w.steps[0].tensors.map((t) => [t.name, t.action]));
    expect(['w', 'conv.w', 'b', 'ln.scale'].map((n) => wAction.get(n))).toEqual([
      'hyper',
      'hyper',
      'skipped',
      'skipped',
    ]);
  });
});

function buildTwoTables(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['batch', 32]);
  const h = g.matMul(x, g.initializer('small', DataType.FLOAT, [32, 32], normal(32 * 32, 21, 0.05)));
  g.output(g.matMul(h, g.initializer('big', DataType.FLOAT, [32, 160], normal(32 * 160, 22, 0.05))), DataType.FLOAT, [
    'batch',
    160,
  ]);
  return g.build();
}

/** max |A| row sums etc. in float64: |x|·|W| for x [b, k], W [k, m]. */
function absMatMul(x: ArrayLike<number>, w: ArrayLike<number>, b: number, k: number, m: number): Float64Array {
  const out = new Float64Array(b * m);
  for (let r = 0; r < b; r++)
    for (let i = 0; i < k; i++)
      for (let j = 0; j < m; j++) out[r * m + j] += Math.abs(x[r * k + i]) * Math.abs(w[i * m + j]);
  return out;
}

describe('hyper --decode-table: the compact table (spec §9.2 option B) where the exact one costs more than it saves', () => {
  const dir = tempDir('mc-hyper-b-');
  const dense = join(dir, 'dense.onnx');
  const B = 3;
  const x = normal(B * 32, 23, 1);
  const feeds = () => ({ x: new ort.Tensor('float32', x, [B, 32]) });
  let auto: CompressJson;
  let run: CompressJson;
  let decoded: Map<string, Float32Array>;

  beforeAll(async () => {
    await buildTwoTables().save(dense);
    decoded = codecDecoded(buildTwoTables(), ['small', 'big']);
    auto = await compress([dense, '--method', 'hyper', '--out', join(dir, 'auto.onnx')]);
    run = await compress([dense, '--method', 'hyper', '--decode', 'run', '--out', join(dir, 'run.onnx')]);
  }, 300_000);

  it('auto: the small weight gets the compact table, the big one the exact table, and the report says so', async () => {
    const meta = JSON.parse((await OnnxModel.load(auto.output.path)).getMetadata('mc.hyper')!);
    const table = Object.fromEntries(meta.tensors.map((t: { name: string; table: string }) => [t.name, t.table]));
    expect(table).toEqual({ small: 'compact', big: 'exact' });
    expect(auto.steps[0].notes.join('\n')).toMatch(/1 exact .*1 compact .*0 kept float32/);
    // small: 512 pairs; T 226 × 8 + S (K+1) × 4 + c 8, the int64 header [bits, nz, numel, 32, 32] and 2 guard bytes
    const small = meta.tensors.find((t: { name: string }) => t.name === 'small');
    const bytes = Math.ceil((512 * small.bits) / 8) + 2 + 8 * 226 + 4 * (small.K + 1) + 8 + 8 * 5;
    expect(auto.steps[0].tensors.find((t) => t.name === 'small')!.bytesAfter).toBe(bytes);
    expect(bytes).toBeLessThan(4 * 1024);
  });

  it('onnxruntime outputs match the dense model rebuilt from the exact decode within the float32 rounding bound', async () => {
    const expected = await runPlain(await writeWith(buildTwoTables(), decoded, join(dir, 'expected.onnx')), feeds());
    const got = await runPlain(auto.output.path, feeds());
    // Bound, in float64. u = 2^-24. The compact decode differs from the exact one by at most
    // D = u·max(|T|·S + 3·|T − c|·S + 2·|w|) per weight (five float32 roundings; see
    // plugins/hyper/src/onnx/decode-graph.test.ts, where it is checked value by value). Each
    // float32 dot product of length 32 is within γ = 32u/(1 − 32u) of Σ|a||b| of the exact one,
    // whatever the summation order, on both sides. So with h = x·small:
    //   |Δh| <= D·Σ|x| + 2γ·|x|·|small| ;  |Δy| <= |Δh|·|big| + 2γ·|h|·|big|.
    const m = await OnnxModel.load(auto.output.path);
    const T = m.getInitializer('small.hyper.codebook')!.readFloat32();
    const S = m.getInitializer('small.hyper.scales')!.readFloat32();
    const [cx, cy] = m.getInitializer('small.hyper.centre')!.readFloat32();
    const u = 2 ** -24;
    let D = 0;
    for (let j = 0; j < T.length; j++) {
      const c = j % 2 === 0 ? cx : cy;
      for (const s of S)
        D = Math.max(
          D,
          u * 1.001 * (Math.abs(T[j]) * s + 3 * Math.abs(T[j] - c) * s + 2 * Math.abs((T[j] - c) * s + c)),
        );
    }
    const gamma = (32 * u) / (1 - 32 * u);
    const small = decoded.get('small')!;
    const big = decoded.get('big')!;
    const xAbs = absMatMul(x, small, B, 32, 32);
    const sumX = Array.from({ length: B }, (_, r) => x.slice(r * 32, r * 32 + 32).reduce((a, v) => a + Math.abs(v), 0));
    const dh = Float64Array.from(xAbs, (v, i) => D * sumX[Math.floor(i / 32)] + 2 * gamma * v * 1.001);
    const h = new Float64Array(B * 32);
    for (let r = 0; r < B; r++)
      for (let i = 0; i < 32; i++) for (let k = 0; k < 32; k++) h[r * 32 + k] += x[r * 32 + i] * small[i * 32 + k];
    const hAbs = Float64Array.from(h, (v, i) => Math.abs(v) + dh[i]);
    const hBig = absMatMul(hAbs, big, B, 32, 160);
    const bound = absMatMul(dh, big, B, 32, 160).map((v, i) => v + 2 * gamma * 1.001 * hBig[i]);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(bound[i]);
    expect(Math.max(...bound)).toBeLessThan(1e-4 * Math.max(...expected.map(Math.abs))); // the bound is tight, not vacuous
  });

  it('--decode run with a compact table: only the model inputs to feed, the same outputs as load', async () => {
    const session = await ort.InferenceSession.create(run.output.path, { logSeverityLevel: 3 });
    expect([...session.inputNames]).toEqual(['x']);
    await session.release();
    const meta = JSON.parse((await OnnxModel.load(run.output.path)).getMetadata('mc.hyper')!);
    expect(meta.tensors.map((t: { table: string }) => t.table).sort()).toEqual(['compact', 'exact']);
    const plain = { graphOptimizationLevel: 'disabled' as const };
    expect(Array.from(await runPlain(run.output.path, feeds(), plain))).toEqual(
      Array.from(await runPlain(auto.output.path, feeds(), plain)),
    );
  });

  it('mc decompress gives back the exact decode (not the float32 graph values) for the compact tensor too', async () => {
    for (const src of [auto.output.path, run.output.path]) {
      const out = join(dir, `back-${src.endsWith('run.onnx') ? 'run' : 'auto'}.onnx`);
      await decompress(src, out);
      const back = await denseInitializers(out, ['small', 'big']);
      for (const name of ['small', 'big']) expect(Array.from(back.get(name)!)).toEqual(Array.from(decoded.get(name)!));
    }
    // a compact table that no longer matches its side info is refused, nothing written
    const m = await OnnxModel.load(auto.output.path);
    const S = m.getInitializer('small.hyper.scales')!;
    const v = S.readFloat32();
    v[1] *= 1.5;
    m.setInitializer(S.name, DataType.FLOAT, [...S.dims], v);
    const tampered = join(dir, 'tampered.onnx');
    await m.save(tampered);
    const r = await runMc(['decompress', tampered, '--out', join(dir, 'no.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/malformed model: "small": shell scales entry 1 differs/);
    expect(existsSync(join(dir, 'no.onnx'))).toBe(false);
  });

  it('--decode-table exact keeps the small weight float32; compact gives both weights the compact table', async () => {
    const exact = await compress([
      dense,
      '--method',
      'hyper',
      '--decode-table',
      'exact',
      '--out',
      join(dir, 'exact.onnx'),
    ]);
    const small = exact.steps[0].tensors.find((t) => t.name === 'small')!;
    expect(small.action).toBe('skipped');
    expect(exact.steps[0].notes.join('\n')).toMatch(/1 exact .*0 compact .*1 kept float32/);
    const compact = await compress([
      dense,
      '--method',
      'hyper',
      '--decode-table',
      'compact',
      '--out',
      join(dir, 'compact.onnx'),
    ]);
    const meta = JSON.parse((await OnnxModel.load(compact.output.path)).getMetadata('mc.hyper')!);
    expect(meta.tensors.map((t: { table: string }) => t.table)).toEqual(['compact', 'compact']);
  }, 120_000);
});

describe('hyper: bad input is one line, exit code 2, no output file', () => {
  const dir = tempDir('mc-hyper-bad-');
  const dense = join(dir, 'dense.onnx');
  beforeAll(async () => {
    await buildModel().save(dense);
  });

  async function expectRefused(args: string[], pattern: RegExp): Promise<void> {
    const out = join(dir, 'out.onnx');
    const r = await runMc([...args, '--out', out]);
    expect(r.code).toBe(2);
    // one error line (other plugins' load warnings in this shared tree are not ours to judge)
    const said = lines(r.stderr).filter((l) => /^Error\b/.test(l));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/^\s+at .*hyper/m); // no stack trace
    expect(existsSync(out)).toBe(false);
    expect(filesIn(dir).filter((f) => f.startsWith('out'))).toEqual([]);
  }

  it.each([
    [['--n', '0'], /--n/],
    [['--l', '0'], /--l must be a positive number/],
    [['--l', '-1'], /--l must be a positive number/],
    [['--m', '0'], /--m/],
    [['--m', '256'], /--m/],
    [['--n', '65535', '--m', '4'], /wider than 17 bits/],
  ])('compress %j', async (extra, pattern) => {
    await expectRefused(['compress', dense, '--method', 'hyper', ...extra], pattern);
  });

  it('a model below opset 9: refused, naming both opsets', async () => {
    const old = join(dir, 'opset8.onnx');
    await buildModel({}, 8).save(old);
    await expectRefused(
      ['compress', old, '--method', 'hyper'],
      /the model's opset 8 is outside what mc works with: default-domain opsets 9 to 26/,
    );
  });

  it('a model with nothing to compress', async () => {
    await expectRefused(['compress', dense, '--method', 'hyper', '--include', 'no-such-*'], /no weight qualifies/);
  });

  it('a NaN weight: the message names the tensor', async () => {
    const w1 = normal(63 * 64, 2, 0.05);
    w1[100] = NaN;
    const nan = join(dir, 'nan.onnx');
    await buildModel({ w1 }).save(nan);
    await expectRefused(['compress', nan, '--method', 'hyper'], /"w1".*NaN/);
  });

  it('a tampered hyper model given to mc decompress', async () => {
    const h = join(dir, 'h.onnx');
    const r = await runMc(['compress', dense, '--method', 'hyper', '--out', h, '--results', tempDir()]);
    expect(r.code).toBe(0);
    const tamper = async (name: string, edit: (m: OnnxModel) => void) => {
      const m = await OnnxModel.load(h);
      edit(m);
      const p = join(dir, name);
      await m.save(p);
      return p;
    };
    const meta = JSON.parse((await OnnxModel.load(h)).getMetadata('mc.hyper')!);
    const badJson = await tamper('t-json.onnx', (m) => m.setMetadata('mc.hyper', '{not json'));
    const badK = await tamper('t-k.onnx', (m) =>
      m.setMetadata(
        'mc.hyper',
        JSON.stringify({ ...meta, tensors: meta.tensors.map((t: object) => ({ ...t, K: 9 })) }),
      ),
    );
    const badLut = await tamper('t-lut.onnx', (m) => {
      const lut = m.getInitializer('w1.hyper.table')!;
      const v = lut.readFloat32();
      v[10] += 1;
      m.setInitializer(lut.name, DataType.FLOAT, [...lut.dims], v);
    });
    const badPacked = await tamper('t-packed.onnx', (m) =>
      m.setInitializer('conv.hyper.packed', DataType.UINT8, [5], new Uint8Array(5)),
    );
    const badHeader = await tamper('t-header.onnx', (m) =>
      m.setInitializer('w2.hyper.header', DataType.INT64, [5], BigInt64Array.from([9n, 0n, 4096n, 64n, 64n])),
    );
    // a decode input read by another node too: removing it would break that node
    const badReader = await tamper('t-reader.onnx', (m) => {
      m.nodes.push({ opType: 'Identity', input: ['conv.hyper.table'], output: ['stray'] });
      m.outputs.push({ name: 'stray', type: { tensorType: { elemType: DataType.FLOAT } } });
    });
    const noCall = await tamper('t-call.onnx', (m) => {
      m.nodes.find((n) => n.output?.[0] === 'w2')!.opType = 'DecodeCompact';
    });
    for (const p of [badJson, badK, badLut, badPacked, badHeader, badReader, noCall])
      await expectRefused(['decompress', p], /hyper: malformed model/);
    // an older mc's file: refused, named
    const v1 = await tamper('t-v1.onnx', (m) =>
      m.setMetadata('mc.hyper', JSON.stringify({ format: 1, decode: 'load', tensors: [] })),
    );
    await expectRefused(['decompress', v1], /written by an older mc \(mc\.hyper format 1\)/);
    // compressing a hyper model again
    await expectRefused(['compress', h, '--method', 'hyper'], /hyper-compressed already/);
  });
});

describeShared('hyper on the shared mnist-cnn', () => {
  it('plain onnxruntime outputs equal the codec-decoded dense model; run ~ load; decompress round trip', async () => {
    const dir = tempDir('mc-hyper-mnist-');
    // exact tables only (the small convs' would stay float32): this test is about bit-exactness;
    // the compact tables that --decode-table auto gives them are tested above
    const load = await compress([
      MNIST,
      '--method',
      'hyper',
      '--decode-table',
      'exact',
      '--out',
      join(dir, 'load.onnx'),
    ]);
    const run = await compress([
      MNIST,
      '--method',
      'hyper',
      '--decode-table',
      'exact',
      '--decode',
      'run',
      '--out',
      join(dir, 'run.onnx'),
    ]);
    const names = load.steps[0].tensors.filter((t) => t.action === 'hyper').map((t) => t.name);
    expect(names.length).toBeGreaterThanOrEqual(3);
    const decoded = codecDecoded(await OnnxModel.load(MNIST), names);
    const expectedPath = await writeWith(await OnnxModel.load(MNIST), decoded, join(dir, 'expected.onnx'));
    const feeds = { pixel_values: new ort.Tensor('float32', normal(4 * 784, 5, 1), [4, 1, 28, 28]) };
    const expected = await runPlain(expectedPath, feeds);
    expect(Array.from(await runPlain(load.output.path, feeds))).toEqual(Array.from(expected));
    // With graph optimizations off, both modes compute the same decode and the same kernels: equal.
    const plain = { graphOptimizationLevel: 'disabled' as const };
    expect(Array.from(await runPlain(run.output.path, feeds, plain))).toEqual(
      Array.from(await runPlain(load.output.path, feeds, plain)),
    );
    // With them on, load folds BatchNorm into the (constant) decoded conv weights, run cannot: float32 rounding only.
    const got = await runPlain(run.output.path, feeds);
    expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-4);
    const back = join(dir, 'back.onnx');
    expect((await runMc(['decompress', load.output.path, '--out', back])).code).toBe(0);
    const restored = await denseInitializers(back, names);
    for (const n of names) expect(Array.from(restored.get(n)!)).toEqual(Array.from(decoded.get(n)!));
    writeFileSync(join(dir, 'done'), ''); // reached the end
  }, 300_000);

  it('--target-bpw 4.5 writes at most 64 KiB (issue 16: 108 KiB before the shared decode function); decompressed, the same outputs', async () => {
    const dir = tempDir('mc-hyper-mnist-size-');
    const r = await compress([MNIST, '--method', 'hyper', '--target-bpw', '4.5', '--out', join(dir, 'h.onnx')]);
    expect(r.bitsPerWeight).toBeLessThanOrEqual(4.5);
    expect(statSync(r.output.path).size).toBeLessThanOrEqual(64 * 1024);
    const m = await OnnxModel.load(r.output.path);
    const calls = m.nodes.filter((n) => n.domain === 'mc.hyper');
    expect(calls.length).toBe(r.steps[0].tensors.filter((t) => t.action === 'hyper').length); // one call node per tensor
    const back = join(dir, 'back.onnx');
    await decompress(r.output.path, back);
    // exact tables decode bit for bit, compact ones a few float32 ulps off: outputs within rounding
    const feeds = { pixel_values: new ort.Tensor('float32', normal(4 * 784, 6, 1), [4, 1, 28, 28]) };
    const plain = { graphOptimizationLevel: 'disabled' as const };
    const got = await runPlain(r.output.path, feeds, plain);
    const restored = await runPlain(back, feeds, plain);
    expect(Math.max(...got.map((v, i) => Math.abs(v - restored[i])))).toBeLessThan(1e-4);
  }, 300_000);
});
