/**
 * Pruning as a user runs it: channel-pruned conv nets that stock onnxruntime loads and runs, honest
 * sizes for dense zeros, --store sparse and chains, and bad input as one line with exit code 2.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { HAS_SHARED, SHARED, lines, runMc, tempDir, warnSkip } from './helpers/cli.js';

const MNIST = join(SHARED, 'models/mnist-cnn');
const UNET = join(SHARED, 'models/digits-unet');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const MNIST_MINI = join(SHARED, 'data/mnist-test-mini');
const describeShared = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) warnSkip('the prune end-to-end tests');

interface CompressJson {
  output: { path: string; bytes: number };
  model: { bytes: number };
  steps: {
    method: string;
    params: Record<string, unknown>;
    bitsPerWeight?: number;
    notes: string[];
    tensors: { name: string; action: string; sparsity?: number; paramsRemoved?: number; storage?: string }[];
  }[];
}

async function compress(args: string[]): Promise<CompressJson> {
  const run = await runMc(['compress', ...args, '--json', '--results', tempDir()], { timeoutMs: 300_000 });
  if (run.code !== 0) throw new Error(`mc compress failed (${run.code}): ${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as CompressJson;
}

/** A plain onnxruntime-node session, no mc in between. */
async function runPlain(path: string, dims: number[]): Promise<readonly number[]> {
  const session = await ort.InferenceSession.create(path);
  const n = dims.reduce((a, b) => a * b, 1);
  const out = await session.run({
    [session.inputNames[0]]: new ort.Tensor('float32', new Float32Array(n).fill(0.5), dims),
  });
  const dimsOut = out[session.outputNames[0]].dims;
  await session.release();
  return dimsOut;
}

describeShared('channel pruning of the shared conv nets', () => {
  it('mnist-cnn: fewer parameters, a smaller file, and mc eval still scores it', async () => {
    const dir = tempDir();
    const r = await compress([
      MNIST,
      '--method',
      'prune',
      '--algo',
      'channel',
      '--ratio',
      '0.25',
      '--out',
      join(dir, 'm.onnx'),
    ]);
    expect(r.output.bytes).toBeLessThan(0.8 * r.model.bytes);
    expect(r.steps[0].notes[0]).toMatch(/84620 -> \d+ parameters/);
    expect(await runPlain(r.output.path, [2, 1, 28, 28])).toEqual([2, 10]);
    const ev = await runMc([
      'eval',
      r.output.path,
      '--metric',
      'accuracy',
      '--dataset',
      MNIST_MINI,
      '--json',
      '--results',
      dir,
    ]);
    expect(ev.code).toBe(0);
  });

  it('digits-unet: through the skip Concats, output shape unchanged, in a plain onnxruntime session', async () => {
    const dir = tempDir();
    const r = await compress([
      UNET,
      '--method',
      'prune',
      '--algo',
      'channel',
      '--ratio',
      '0.5',
      '--min-size',
      '1',
      '--out',
      join(dir, 'u.onnx'),
    ]);
    expect(r.output.bytes).toBeLessThan(0.45 * r.model.bytes);
    const dec3 = r.steps[0].tensors.find((t) => t.name === 'dec3.0.weight');
    expect(dec3?.action).toBe('channel-out'); // loses outputs, and inputs from both sides of its Concat
    expect(await runPlain(r.output.path, [1, 1, 64, 64])).toEqual([1, 1, 64, 64]);
  });
});

describeShared('unstructured pruning: sizes stated honestly', () => {
  it('dense zeros do not shrink the file; --store sparse does at high sparsity, and onnxruntime runs it', async () => {
    const dir = tempDir();
    const dense = await compress([MNIST, '--method', 'prune', '--sparsity', '0.8', '--out', join(dir, 'd.onnx')]);
    expect(Math.abs(dense.output.bytes - dense.model.bytes)).toBeLessThan(2048);
    expect(dense.steps[0].bitsPerWeight).toBe(32);
    const pruned = dense.steps[0].tensors.filter((t) => t.action === 'prune-magnitude');
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) expect(t.sparsity).toBeGreaterThanOrEqual(0.8);
    const sparse = await compress([
      MNIST,
      '--method',
      'prune',
      '--sparsity',
      '0.8',
      '--store',
      'sparse',
      '--out',
      join(dir, 's.onnx'),
    ]);
    expect(sparse.output.bytes).toBeLessThan(0.7 * dense.output.bytes);
    expect(await runPlain(sparse.output.path, [1, 1, 28, 28])).toEqual([1, 10]);
  });

  it('prune + int4 chains on the shared LM, and is the size of int4 alone (zeros cost 4-bit codes too)', async () => {
    const dir = tempDir();
    const chain = await compress([
      LM,
      '--method',
      'prune',
      '--sparsity',
      '0.5',
      '--granularity',
      'row',
      '--method',
      'int4',
      '--out',
      join(dir, 'c'),
    ]);
    expect(chain.steps.map((s) => s.method)).toEqual(['prune', 'int4']);
    const alone = await compress([LM, '--method', 'int4', '--out', join(dir, 'i')]);
    expect(Math.abs(chain.output.bytes - alone.output.bytes)).toBeLessThan(0.01 * alone.output.bytes);
    expect(chain.steps[0].notes.join('\n')).toMatch(/same size as int4 alone/);
  });

  it('a flag two chained methods take can be set per method (--prune.granularity, --int8.granularity)', async () => {
    const dir = tempDir();
    const r = await compress([
      MNIST,
      '--method',
      'prune',
      '--sparsity',
      '0.5',
      '--prune.granularity',
      'row',
      '--method',
      'int8',
      '--int8.granularity',
      'tensor',
      '--out',
      join(dir, 'pq.onnx'),
    ]);
    const params = r.steps.map((s) => [s.method, s.params.granularity]);
    expect(params).toEqual([
      ['prune', 'row'],
      ['int8', 'tensor'],
    ]);
    // the shared flag still feeds both, and a scoped one wins over it for its method
    const r2 = await compress([
      MNIST,
      '--method',
      'prune',
      '--sparsity',
      '0.5',
      '--min-size',
      '300',
      '--method',
      'int8',
      '--int8.min-size',
      '5000',
      '--out',
      join(dir, 'pq2.onnx'),
    ]);
    expect(r2.steps.map((s) => s.params['min-size'])).toEqual([300, 5000]);
  });
});

describeShared('prune bad input: one line, exit 2, nothing written', () => {
  const dir = tempDir();
  const cases: [string, string[], RegExp][] = [
    ['sparsity out of range', [MNIST, '--method', 'prune', '--sparsity', '1.2'], /--sparsity/],
    ['N >= M', [MNIST, '--method', 'prune', '--pattern', '4:2'], /below M/],
    ['K not a multiple of M', [MNIST, '--method', 'prune', '--pattern', '2:4'], /not a multiple of 4/],
    ['wanda without calibration', [LM, '--method', 'prune', '--algo', 'wanda'], /needs calibration data/],
    ['sparsegpt without calibration', [LM, '--method', 'prune', '--algo', 'sparsegpt'], /needs calibration data/],
    ['channel on a model with no Conv', [LM, '--method', 'prune', '--algo', 'channel'], /no Conv/],
    [
      'a ratio removing every channel',
      [MNIST, '--method', 'prune', '--algo', 'channel', '--ratio', '1'],
      /every output channel/,
    ],
    [
      'a shared flag with a value only one chained method takes',
      [MNIST, '--method', 'prune', '--granularity', 'row', '--method', 'int8'],
      /--granularity must be one of channel, tensor.*--prune\.granularity \/ --int8\.granularity/,
    ],
  ];
  it.each(cases)('%s', async (_what, args, message) => {
    const out = join(dir, `${_what.replace(/\W+/g, '-')}.onnx`);
    const r = await runMc(['compress', ...args, '--out', out, '--results', dir]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr).filter((l) => !l.startsWith('device:'))).toEqual([expect.stringMatching(message)]);
    expect(() => statSync(out)).toThrow();
  });
});

describeShared('mc sweep', () => {
  it('compresses and evaluates every point of a list and of a recipe file, one result each', async () => {
    const dir = tempDir();
    const results = join(dir, 'results');
    const run = await runMc([
      'sweep',
      MNIST,
      '--method',
      'prune',
      '--sweep',
      '0,0.5',
      '--metric',
      'accuracy',
      '--dataset',
      MNIST_MINI,
      '--out',
      join(dir, 'a'),
      '--results',
      results,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as { point: string; metric: Record<string, number>; results: string[] }[];
    expect(rows.map((r) => r.point)).toEqual(['sparsity=0', 'sparsity=0.5']);
    expect(rows.every((r) => r.results.length === 2 && typeof r.metric.top1 === 'number')).toBe(true);
    expect(readdirSync(results)).toHaveLength(5); // the dense model's eval, then a compress and an eval per point
    const recipe = join(dir, 'recipe.json');
    writeFileSync(
      recipe,
      JSON.stringify([
        { pattern: '2:4', 'min-size': 2048 },
        { sparsity: 0.3, granularity: 'row' },
      ]),
    );
    const r2 = await runMc([
      'sweep',
      MNIST,
      '--method',
      'prune',
      '--sweep',
      recipe,
      '--metric',
      'accuracy',
      '--dataset',
      MNIST_MINI,
      '--out',
      join(dir, 'b'),
      '--results',
      results,
      '--json',
    ]);
    expect(r2.code).toBe(0);
    expect((JSON.parse(r2.stdout) as { point: string }[]).map((r) => r.point)).toEqual([
      'pattern=2:4,min-size=2048',
      'sparsity=0.3,granularity=row',
    ]);
    const bad = await runMc([
      'sweep',
      MNIST,
      '--method',
      'prune',
      '--sweep',
      'sparsty=0.1',
      '--metric',
      'accuracy',
      '--dataset',
      MNIST_MINI,
      '--out',
      join(dir, 'c'),
      '--results',
      results,
    ]);
    expect(bad.code).toBe(2);
    expect(lines(bad.stderr).filter((l) => !l.startsWith('device:'))).toEqual([
      expect.stringMatching(/no parameter --sparsty/),
    ]);
  });
});
