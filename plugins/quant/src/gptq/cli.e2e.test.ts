/**
 * gptq through bin/mc as a user runs it: the calibration flags of mc compress, bad input (one line,
 * exit 2, nothing written), and a small real run on the shared language model.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataType } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import {
  BUILT,
  EXAMPLES,
  filesIn,
  HAS_SHARED,
  lines,
  runMc,
  SHARED,
  tempDir,
  warnSkip,
} from '../../../../test/helpers/cli.js';

const LM = join(SHARED, 'models/tiny-stdlib-lm');
const TEXT = join(SHARED, 'data/stdlib-text/valid.jsonl');
const MNIST = join(EXAMPLES, 'mnist-cnn', 'model.onnx');
const STACK = /\n\s+at /;

if (!BUILT) warnSkip('gptq CLI tests: build first (packages/cli/dist is absent)');
if (!HAS_SHARED) warnSkip(`gptq CLI tests on tiny-stdlib-lm: ${SHARED} is absent`);

/** One 64x64 MatMul weight: something gptq would quantize, so the calibration check is what fails. */
async function matMulModel(): Promise<string> {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['n', 64]);
  g.output(
    g.matMul(
      x,
      g.initializer(
        'w',
        DataType.FLOAT,
        [64, 64],
        Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i)),
      ),
    ),
    DataType.FLOAT,
    ['n', 64],
  );
  const path = join(tempDir('mc-gptq-model-'), 'matmul.onnx');
  await g.build().save(path);
  return path;
}

(BUILT ? describe : describe.skip)('mc compress --method gptq: bad input', () => {
  let model = LM;
  beforeAll(async () => {
    if (!HAS_SHARED) model = await matMulModel();
  });
  it.each([
    ['no calibration data', [] as string[], /gptq needs calibration data.*--calib-dataset/s],
    ['bits out of range', ['--bits', '5', '--calib-dataset', TEXT], /--bits must be 2, 3, 4 or 8/],
    [
      'group size not a power of two',
      ['--group-size', '96', '--calib-dataset', TEXT],
      /--group-size must be a power of two/,
    ],
    ['calib-samples 0', ['--calib-samples', '0', '--calib-dataset', TEXT], /calib-samples/],
  ])('%s', async (_name, extra, message) => {
    const dir = tempDir('mc-gptq-');
    const r = await runMc(['compress', model, '--method', 'gptq', ...extra, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK);
    expect(lines(r.stderr).filter((l) => /error/i.test(l))).toHaveLength(1);
    expect(filesIn(dir)).toEqual([]);
  });

  it('a text dataset for an image model (mnist-cnn)', async () => {
    const dir = tempDir('mc-gptq-');
    const r = await runMc([
      'compress',
      MNIST,
      '--method',
      'gptq',
      '--calib-dataset',
      TEXT,
      '--out',
      join(dir, 'out.onnx'),
    ]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr).filter((l) => /error/i.test(l))).toEqual([
      expect.stringMatching(/calibration dataset .* is text, but .* takes images \(pixel_values float32/),
    ]);
    expect(r.stderr).not.toMatch(STACK);
    expect(filesIn(dir)).toEqual([]);
  });
});

(BUILT && HAS_SHARED ? describe : describe.skip)('mc compress --method gptq on tiny-stdlib-lm', () => {
  it('calibrates on a text dataset and writes 2-bit MatMulNBits, 2.5 bits per weight as stored (group 64, float32 scales)', async () => {
    const dir = tempDir('mc-gptq-');
    const out = join(dir, 'lm-gptq');
    const r = await runMc(
      [
        'compress',
        LM,
        '--method',
        'gptq',
        '--bits',
        '2',
        '--group-size',
        '64',
        '--no-sequential',
        '--include',
        'transformer.h.0.*',
        '--calib-dataset',
        TEXT,
        '--calib-samples',
        '2',
        '--calib-seqlen',
        '64',
        '--out',
        out,
        '--results',
        join(dir, 'results'),
        '--json',
      ],
      { timeoutMs: 300_000 },
    );
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as {
      steps: { method: string; notes: string[]; tensors: { action: string }[] }[];
      bitsPerWeight: number;
    };
    expect(result.steps[0].method).toBe('gptq');
    expect(result.steps[0].tensors.filter((t) => t.action === 'gptq-2bit')).toHaveLength(4); // block 0's four linear layers (--include)
    expect(result.bitsPerWeight).toBeCloseTo(2 + 32 / 64, 10); // 2-bit codes + a float32 scale per 64
    expect(result.steps[0].notes.join('\n')).toMatch(/calibration: 2 windows of 64 tokens from .*valid\.jsonl/);
    expect(existsSync(join(out, 'model.onnx'))).toBe(true);
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(true);
    expect(statSync(join(out, 'model.onnx')).size).toBeLessThan(statSync(join(LM, 'model.onnx')).size - 2.5 * 2 ** 20); // block 0's 786,432 weights: 4 bytes -> 2.5 bits each saves 2.77 MiB
  });
});
