/**
 * Issues 16.3-16.5 and 17.8-17.9 as a user meets them at the command line: invalid inputs refused
 * with one line (exit 2), drift and the file's real cost in the result and on the console, the
 * warning for a destroyed model, "not measured" where probing cannot run.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, OnnxModel, type onnx } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { EXAMPLES, filesIn, HAS_SHARED, lines, runMc, SHARED, tempDir, warnSkip } from './helpers/cli.js';

const MNIST = join(EXAMPLES, 'mnist-cnn');
const SILERO = join(SHARED, 'models', 'third-party', 'silero-vad', 'model.onnx');

function mlp(): onnx.IModelProto {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['batch', 16]);
  const w = g.initializer(
    'w',
    DataType.FLOAT,
    [16, 16],
    Float32Array.from({ length: 256 }, (_, i) => Math.sin(i)),
  );
  g.output(g.relu(g.matMul(x, w)), DataType.FLOAT, ['batch', 16]);
  return g.toProto();
}

function write(dir: string, name: string, model: onnx.IModelProto): string {
  const path = join(dir, name);
  writeFileSync(path, OnnxModel.fromProto(model).toBytes()); // bytes as they are: no validation on this path
  return path;
}

interface CompressJson {
  parameters: number;
  fileBitsPerParameter: number;
  output: { bytes: number };
  drift: {
    measured: boolean;
    reason?: string;
    probes?: number;
    warning?: string;
    outputs?: { name: string; relativeError: number; top1Agreement?: number }[];
  };
}

describe('invalid models are refused on load: one line, exit 2, nothing written (issue 17 items 8 and 9)', () => {
  const dir = tempDir();
  const big = { low: 1, high: 0x200000, unsigned: false }; // 2^53 + 1
  const cases: [string, () => string, RegExp][] = [
    [
      'two initializers of the same name',
      () => {
        const m = mlp();
        m.graph!.initializer!.push({ ...m.graph!.initializer![0] });
        return write(dir, 'dup-init.onnx', m);
      },
      /\[duplicate-definition\] initializer "w" is defined twice/,
    ],
    [
      'a value defined twice',
      () => {
        const m = mlp();
        m.graph!.node!.push({ name: 'n', opType: 'Identity', input: ['x'], output: ['MatMul_0_out'] });
        return write(dir, 'dup-def.onnx', m);
      },
      /\[duplicate-definition\] value "MatMul_0_out" is produced by two nodes/,
    ],
    [
      'an unknown attribute type',
      () => {
        const m = mlp();
        m.graph!.node![1].attribute = [{ name: 'alpha', type: 17 as never, f: 1 }];
        return write(dir, 'attr.onnx', m);
      },
      /\[attribute-type\] attribute "alpha" has unknown type 17/,
    ],
    [
      'an int64 dim above 2^53 (an 83-byte model)',
      () =>
        write(dir, 'big.onnx', {
          irVersion: 8,
          opsetImport: [{ domain: '', version: 17 }],
          graph: {
            name: 'g',
            node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
            input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: big as never }] } } } }],
            output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
          },
        }),
      /\[dims\] graph input "x" has shape dimension 9007199254740993 is past 2\^53/,
    ],
  ];
  it.each(cases)('%s', async (_, make, message) => {
    const input = make();
    for (const args of [
      ['inspect', input],
      ['compress', input, '--method', 'int8', '--out', join(dir, 'out.onnx'), '--results', join(dir, 'r')],
    ]) {
      const r = await runMc(args);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/is not a valid ONNX model: .*\(hint: /);
      expect(r.stderr).not.toMatch(/does not fit a JS number|this is a bug/);
    }
    expect(existsSync(join(dir, 'out.onnx'))).toBe(false);
    expect(filesIn(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('drift and file bits per parameter (issue 16 items 4 and 5)', () => {
  it('int8 on mnist-cnn: small drift, all top-1 agreeing, and what the file costs per parameter', async () => {
    const dir = tempDir();
    const out = join(dir, 'int8.onnx');
    const json = await runMc([
      'compress',
      MNIST,
      '--method',
      'int8',
      '--out',
      out,
      '--results',
      join(dir, 'r'),
      '--json',
    ]);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    const r = JSON.parse(json.stdout) as CompressJson;
    expect(r.parameters).toBe(84620); // config.json: onnx_initializer_elements
    expect(r.fileBitsPerParameter).toBeCloseTo((8 * r.output.bytes) / 84620, 10);
    expect(r.drift).toMatchObject({ measured: true, probes: 8 });
    const logits = r.drift.outputs!.find((o) => o.name === 'logits')!;
    expect(logits.relativeError).toBeLessThan(0.05);
    expect(logits.top1Agreement).toBeGreaterThanOrEqual(0.9);
    expect(r.drift.warning).toBeUndefined();

    const human = await runMc([
      'compress',
      MNIST,
      '--method',
      'int8',
      '--probes',
      '4',
      '--out',
      join(dir, 'again.onnx'),
      '--results',
      join(dir, 'r'),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /bits per weight \(compressed tensors\), \d+\.\d{3} file bits per parameter \(the whole file \/ 84620 parameters\)/,
    );
    expect(human.stdout).toMatch(
      /^drift on 4 random probes, relative output error: logits \d.*% \(top-1 agreement \d+%\)$/m,
    );
  });

  it('warns when pruning without fine-tuning destroys the model (mnist-cnn, half its channels: accuracy 0.25)', async () => {
    const dir = tempDir();
    const r = await runMc([
      'compress',
      MNIST,
      '--method',
      'prune',
      '--algo',
      'channel',
      '--ratio',
      '0.5',
      '--out',
      join(dir, 'p.onnx'),
      '--results',
      join(dir, 'r'),
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(
        /^warning: large drift from the dense model \(logits: relative error \d+%.*; large means relative error >= 50% or top-1 agreement < 50%\): evaluate the output on real data \(mc eval\) before using it$/,
      ),
    ]);
    const result = JSON.parse(r.stdout) as CompressJson;
    expect(result.drift.outputs![0].relativeError).toBeGreaterThan(0.5);
    expect(result.drift.warning).toMatch(/^large drift/);
  });

  it('--probes 0 measures no drift, and says so', async () => {
    const dir = tempDir();
    const r = await runMc([
      'compress',
      MNIST,
      '--method',
      'int8',
      '--probes',
      '0',
      '--out',
      join(dir, 'q.onnx'),
      '--results',
      join(dir, 'r'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^drift: not measured \(disabled with --probes 0\)$/m);
  });

  it('silero-vad: an int input whose meaning is unknown (sr) gives "not measured" with the reason, not a failure', async () => {
    if (!HAS_SHARED) return warnSkip('silero-vad drift');
    const dir = tempDir();
    const r = await runMc([
      'compress',
      SILERO,
      '--method',
      'int8',
      '--out',
      join(dir, 's.onnx'),
      '--results',
      join(dir, 'r'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^drift: not measured \(input "sr" is int64 and mc cannot tell which values it takes \(it indexes no embedding table\); give --probe-dataset, or --probes 0\)$/m,
    );
    // file bits per parameter counts the weights inside both If branches too (main-graph initializers alone gave 58)
    const [file] = readdirSync(join(dir, 'r'));
    const result = JSON.parse(readFileSync(join(dir, 'r', file), 'utf8')) as CompressJson;
    const inspect = await runMc(['inspect', SILERO, '--json']);
    expect(result.parameters).toBe((JSON.parse(inspect.stdout) as { parameterCount: number }).parameterCount);
    expect(result.fileBitsPerParameter).toBeCloseTo((8 * result.output.bytes) / result.parameters, 10);
    expect(result.fileBitsPerParameter).toBeGreaterThan(8);
    expect(result.fileBitsPerParameter).toBeLessThan(12);
  });

  it('the LM with --probe-dataset: token windows of real text instead of random ids', async () => {
    if (!HAS_SHARED) return warnSkip('--probe-dataset');
    const dir = tempDir();
    const text = join(SHARED, 'data', 'stdlib-text', 'valid.jsonl');
    const r = await runMc(
      [
        'compress',
        join(SHARED, 'models', 'tiny-stdlib-lm'),
        '--method',
        'int8',
        '--probes',
        '2',
        '--probe-dataset',
        text,
        '--out',
        join(dir, 'lm'),
        '--results',
        join(dir, 'r'),
        '--json',
      ],
      { timeoutMs: 300_000 },
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as CompressJson & { drift: { inputs: string; description: string } };
    expect(result.drift).toMatchObject({
      measured: true,
      probes: 2,
      inputs: text,
      description: expect.stringMatching(/^2 windows of 64 tokens from .*valid\.jsonl \(jsonl\)/),
    });
    expect(result.drift.outputs![0]).toMatchObject({
      name: 'logits',
      relativeError: expect.any(Number),
      top1Agreement: expect.any(Number),
    });
    expect(result.drift.outputs![0].relativeError).toBeLessThan(0.05);
    // an image model is probed with images (preprocessed as the accuracy metric does); text for it is one line
    const img = await runMc([
      'compress',
      MNIST,
      '--method',
      'int8',
      '--probes',
      '4',
      '--probe-dataset',
      join(EXAMPLES, 'mnist-test'),
      '--out',
      join(dir, 'x.onnx'),
      '--results',
      join(dir, 'r'),
      '--json',
    ]);
    expect(img.code).toBe(0);
    expect((JSON.parse(img.stdout) as { drift: { description: string } }).drift.description).toMatch(
      /^4 images from .*mnist-test \(u8-images\), drawn with seed 0/,
    );
    const bad = await runMc([
      'compress',
      MNIST,
      '--method',
      'int8',
      '--probe-dataset',
      text,
      '--out',
      join(dir, 'y.onnx'),
      '--results',
      join(dir, 'r'),
    ]);
    expect(bad.code).toBe(2);
    expect(lines(bad.stderr)).toEqual([
      expect.stringMatching(/^Error: --probe-dataset: .* is text, but .* takes images/),
    ]);
  });

  it("mc sweep's table shows file bits per parameter beside bits per weight", async () => {
    const dir = tempDir();
    const r = await runMc([
      'sweep',
      MNIST,
      '--method',
      'int8',
      '--sweep',
      'scheme=sym,asym',
      '--metric',
      'accuracy',
      '--dataset',
      join(EXAMPLES, 'mnist-test'),
      '--limit',
      '50',
      '--probes',
      '2',
      '--out',
      join(dir, 'sweep'),
      '--results',
      join(dir, 'r'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bits\/weight\s*│\s*file bits\/param/);
  });
});
