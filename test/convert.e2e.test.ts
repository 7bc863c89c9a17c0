/**
 * `mc convert` and opsets as a user meets them, through bin/mc: models exported at opsets 9, 10
 * and 11 (BatchNormalization, Clip, Upsample/Resize, Softmax over a middle axis, Squeeze, Split,
 * Slice) moved to 13 and 21, the files checked here with a plain onnxruntime-node session (no mc
 * in between) to give the same outputs to 1e-5 relative; and bad input (opset 8, opset 30, an op
 * mc cannot adapt, an adapter that refuses) as one line, exit code 2, nothing written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DataType, OnnxModel } from '@mc-kit/core';
import { attr, GraphBuilder, probeFeeds } from '@mc-kit/core/testing';
import { BUILT, expectOneLineRefusal, filesIn, runMc, tempDir, warnSkip } from './helpers/cli.js';

if (!BUILT) warnSkip('mc convert end-to-end tests: build first (packages/cli/dist is absent)');
const F = DataType.FLOAT;

const vec = (g: GraphBuilder, name: string, n: number, f: (i: number) => number) =>
  g.initializer(
    name,
    F,
    [n],
    Float32Array.from({ length: n }, (_, i) => f(i)),
  );

/**
 * x[n,3,8,8] -> Conv -> BatchNormalization -> Clip(0, 6) -> 2x nearest (Upsample at 9, Resize-10,
 * Resize-11) -> Split on channels [1, 3] -> (a) ReduceMean over H, W -> Squeeze -> Softmax;
 * (b) Softmax over the channel axis of a 4-D tensor (axis 1: its meaning changes at 13) -> Slice.
 */
function exportAt(opset: number): OnnxModel {
  const g = new GraphBuilder({ opset, irVersion: opset >= 11 ? 6 : 4 });
  const x = g.input('x', F, ['n', 3, 8, 8]);
  const w = g.initializer(
    'w',
    F,
    [4, 3, 3, 3],
    Float32Array.from({ length: 108 }, (_, i) => Math.sin(i * 0.7)),
  );
  let h = g.conv(x, w, undefined, { pads: [1, 1, 1, 1] });
  h = g.node('BatchNormalization', [
    h,
    vec(g, 's', 4, (i) => 1 + i / 4),
    vec(g, 'b', 4, (i) => i / 10),
    vec(g, 'm', 4, (i) => -i / 8),
    vec(g, 'v', 4, (i) => 0.5 + i),
  ])[0];
  h =
    opset < 11
      ? g.node('Clip', [h], { min: attr.float(0), max: attr.float(6) })[0]
      : g.node('Clip', [
          h,
          g.initializer('lo', F, [], Float32Array.of(0)),
          g.initializer('hi', F, [], Float32Array.of(6)),
        ])[0];
  const scales = g.initializer('scales', F, [4], Float32Array.of(1, 1, 2, 2));
  h =
    opset === 9
      ? g.node('Upsample', [h, scales], { mode: 'nearest' })[0]
      : opset === 10
        ? g.node('Resize', [h, scales], { mode: 'nearest' })[0]
        : g.node('Resize', [h, g.initializer('roi', F, [0], new Float32Array(0)), scales], { mode: 'nearest' })[0];
  const [a, b] = g.node('Split', [h], { axis: 1, split: [1, 3] }, { outputs: 2 });
  const pooled = g.node('Squeeze', [g.node('ReduceMean', [a], { axes: [2, 3], keepdims: 1 })[0]], { axes: [2, 3] })[0];
  g.output(g.node('Softmax', [pooled], { axis: 1 })[0], F);
  const soft = g.node('Softmax', [b], { axis: 1 })[0];
  g.output(
    opset === 9
      ? g.node('Slice', [soft], { starts: [1], ends: [7], axes: [2] })[0]
      : g.node('Slice', [
          soft,
          g.initializer('st', DataType.INT64, [1], BigInt64Array.of(1n)),
          g.initializer('en', DataType.INT64, [1], BigInt64Array.of(7n)),
          g.initializer('ax', DataType.INT64, [1], BigInt64Array.of(2n)),
        ])[0],
    F,
  );
  return g.build();
}

/** Every output of a plain onnxruntime session on `feeds`. */
async function runPlain(
  path: string,
  feeds: Record<string, { type: string; data: ArrayBufferView; dims: readonly number[] }>,
): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(path);
  const out = await session.run(
    Object.fromEntries(
      Object.entries(feeds).map(([k, t]) => [
        k,
        new ort.Tensor(t.type as 'float32', t.data as Float32Array, [...t.dims]),
      ]),
    ),
  );
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
}

const relative = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
};

interface ConvertJson {
  kind: string;
  from: { opset: number; irVersion: number };
  to: { opset: number; irVersion: number };
  adapted: { op: string; opset: number; nodes: number }[];
  verification: { probes: number; tolerance: number; outputs: { name: string; relative: number }[] };
  model: { sha256: string };
  output: { path: string };
}

(BUILT ? describe : describe.skip)('mc convert', () => {
  it.each([
    [11, 21],
    [11, 13],
    [10, 21],
    [9, 13],
    [9, 21],
  ])(
    'opset %i -> %i: every changed op adapted, outputs equal to 1e-5 relative in a plain onnxruntime session',
    async (from, to) => {
      const dir = tempDir();
      const src = join(dir, 'model.onnx');
      await exportAt(from).save(src);
      const before = readFileSync(src);
      const run = await runMc(['convert', src, '--opset', String(to), '--out', join(dir, 'out.onnx'), '--json'], {
        cwd: dir,
      });
      expect(run.code).toBe(0);
      const r = JSON.parse(run.stdout) as ConvertJson;
      expect([r.kind, r.from.opset, r.to.opset]).toEqual(['convert', from, to]);
      expect(r.to.irVersion).toBe(to === 21 ? 10 : 7);
      const adapted = r.adapted.map((a) => `${a.op}@${a.opset}`);
      expect(adapted).toEqual(
        expect.arrayContaining(
          ['Softmax@13', 'Squeeze@13', 'Split@13', 'ReduceMean@18'].filter((k) => Number(k.split('@')[1]) <= to),
        ),
      );
      if (from < 11) expect(adapted).toEqual(expect.arrayContaining(['Clip@11', 'Resize@11']));
      if (from === 9) expect(adapted).toEqual(expect.arrayContaining(['Upsample@10', 'Slice@10']));
      expect(r.verification.probes).toBe(3);
      expect(readFileSync(src)).toEqual(before); // the input untouched

      const out = await OnnxModel.load(join(dir, 'out.onnx'));
      expect([out.opset(''), Number(out.proto.irVersion)]).toEqual([to, r.to.irVersion]);
      for (const feeds of probeFeeds(exportAt(from), 2, 5)) {
        const [want, got] = [await runPlain(src, feeds), await runPlain(join(dir, 'out.onnx'), feeds)];
        for (const name of Object.keys(want)) expect(relative(got[name], want[name])).toBeLessThanOrEqual(1e-5);
      }
    },
  );

  it('prints what it did for a human', async () => {
    const dir = tempDir();
    await exportAt(11).save(join(dir, 'model.onnx'));
    const run = await runMc(['convert', join(dir, 'model.onnx'), '--opset', '21', '--out', join(dir, 'out.onnx')], {
      cwd: dir,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/opset 11 -> 21 \(IR 6 -> 10\); rewritten: .*Softmax@13 x2/);
    expect(run.stdout).toMatch(/checked in onnxruntime on 3 probe inputs: every output equal to 0.00001 relative/);
  });
});

interface BadCase {
  name: string;
  model: () => OnnxModel;
  args: (model: string, dir: string) => string[];
  message: RegExp;
}

const tinyAt =
  (opset: number, op = 'Relu') =>
  () => {
    const g = new GraphBuilder({ opset, irVersion: opset >= 9 ? 6 : 3 });
    g.output(g.node(op, [g.input('x', F, [1, 4])])[0], F);
    return g.build();
  };

const BAD: BadCase[] = [
  {
    name: 'convert: a model at opset 8',
    model: tinyAt(8),
    args: (m, d) => ['convert', m, '--opset', '13', '--out', join(d, 'o.onnx')],
    message: /the model's opset 8 is outside what mc works with: default-domain opsets 9 to 26/,
  },
  {
    name: 'convert: --opset 30',
    model: tinyAt(11),
    args: (m, d) => ['convert', m, '--opset', '30', '--out', join(d, 'o.onnx')],
    message:
      /--opset 30 is outside what mc works with: default-domain opsets 9 to 26 \(26 is the newest onnxruntime-node 1\.30 runs\)/,
  },
  {
    name: 'convert: an op mc has no adapter for',
    model: tinyAt(11, 'SoftmaxV2'),
    args: (m, d) => ['convert', m, '--opset', '21', '--out', join(d, 'o.onnx')],
    message:
      /cannot move the model from opset 11 to opset 21: SoftmaxV2 \(not an operator of the default ONNX domain that mc knows\)/,
  },
  {
    name: 'convert: an adapter that refuses (Resize-10 sampling one axis up, one down)',
    model: () => {
      const g = new GraphBuilder({ opset: 10, irVersion: 5 });
      g.output(
        g.node('Resize', [g.input('x', F, [1, 1, 4, 4]), g.initializer('s', F, [4], Float32Array.of(1, 1, 2, 0.5))])[0],
        F,
      );
      return g.build();
    },
    args: (m, d) => ['convert', m, '--opset', '13', '--out', join(d, 'o.onnx')],
    message:
      /Resize \(node Resize_0\) cannot be moved from opset 10 to opset 13: it samples some axes up and others down/,
  },
  {
    name: 'convert: a downgrade',
    model: tinyAt(17),
    args: (m, d) => ['convert', m, '--opset', '13', '--out', join(d, 'o.onnx')],
    message: /the model is at opset 17, above the target 13; mc converts to newer opsets only/,
  },
  {
    name: 'compress: a model at opset 8',
    model: tinyAt(8),
    args: (m, d) => ['compress', m, '--method', 'int8', '--out', join(d, 'o.onnx'), '--results', join(d, 'r')],
    message: /the model's opset 8 is outside what mc works with/,
  },
  {
    name: 'compress: a model at opset 30',
    model: tinyAt(30),
    args: (m, d) => ['compress', m, '--method', 'int4', '--out', join(d, 'o.onnx'), '--results', join(d, 'r')],
    message: /the model's opset 30 is outside what mc works with: default-domain opsets 9 to 26/,
  },
];

(BUILT ? describe : describe.skip)('opsets: bad input is one line, exit 2, nothing written', () => {
  it.each(BAD.map((c) => [c.name, c]))('%s', async (_name, c) => {
    const dir = tempDir();
    const model = join(dir, 'model.onnx');
    await c.model().save(model);
    const before = filesIn(dir);
    const run = await runMc(c.args(model, dir), { cwd: dir });
    // no output model, no temp file, no results folder: the folder is as it was
    expectOneLineRefusal(run, c.message, dir, before);
  });
});
