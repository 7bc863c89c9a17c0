/**
 * Image calibration as a user runs it on mnist-cnn (issue 22): gptq on Conv and Gemm, Wanda and
 * SparseGPT calibrated on ../shared/data/mnist-calib (no image in common with the scored ones), and a
 * dataset that does not suit the model refused in one line with exit code 2.
 *
 * Quality, on the first 200 images of mnist-test (disjoint from mnist-calib), fixed seed 0:
 * - wanda and sparsegpt at 50 % beat magnitude at 50 % by 20 points or more (measured: 96.5 and
 *   97.5 % vs 59.5 %; on 1872 images 96.2 / 97.3 vs 63.0 %): stable, asserted with that margin;
 * - gptq 4-bit group 16 is within 2 points of int4 RTN at group 16 and of dense in top-1: at 4 bits
 *   both sit within the noise of dense on this model (1872 images: gptq 98.18 %, RTN 98.72 %, dense
 *   98.56 %, ± 0.3 %), so top-1 cannot rank them;
 * - where they differ, gptq beats RTN: its logits are closer to dense on held-out images (the drift
 *   check on the 16 images of mnist-test-mini: relative error 0.092 vs 0.162; on 256 images of
 *   mnist-test 9.8 % vs 18 %), asserted with a 0.75 factor.
 */
import { join } from 'node:path';
import { BUILT, HAS_SHARED, SHARED, expectOneLineRefusal, filesIn, runMc, tempDir, warnSkip } from './helpers/cli.js';

const MNIST = join(SHARED, 'models/mnist-cnn');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const CALIB = join(SHARED, 'data/mnist-calib');
const SEG_CALIB = join(SHARED, 'data/digits-seg-calib');
const TEXT = join(SHARED, 'data/stdlib-text/valid.jsonl');
const TEST = join(SHARED, 'data/mnist-test');
const ready = HAS_SHARED && BUILT;
if (!ready) warnSkip('the image calibration end-to-end tests (or the build is missing: npm run build)');

const MINI = join(SHARED, 'data/mnist-test-mini');

interface Compressed {
  path: string;
  notes: string[];
  /** relative error of the logits against dense on the probes */
  drift: number;
}

async function compressed(dir: string, name: string, args: string[]): Promise<Compressed> {
  const out = join(dir, name);
  const r = await runMc(
    [
      'compress',
      MNIST,
      ...args,
      '--probe-dataset',
      MINI,
      '--probes',
      '16',
      '--out',
      out,
      '--results',
      join(dir, 'r'),
      '--json',
    ],
    { timeoutMs: 300_000 },
  );
  if (r.code !== 0) throw new Error(`mc compress ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  const json = JSON.parse(r.stdout) as {
    steps: { notes: string[] }[];
    drift: { outputs: { relativeError: number }[] };
  };
  return { path: out, notes: json.steps.flatMap((s) => s.notes), drift: json.drift.outputs[0].relativeError };
}

async function top1(model: string, dir: string): Promise<number> {
  const r = await runMc(
    ['eval', model, '--metric', 'accuracy', '--dataset', TEST, '--limit', '200', '--results', join(dir, 'r'), '--json'],
    { timeoutMs: 300_000 },
  );
  if (r.code !== 0) throw new Error(`mc eval failed (${r.code}): ${r.stderr}`);
  const json = JSON.parse(r.stdout) as {
    metric?: { values: { top1: { value: number } } };
    values?: { top1: { value: number } };
  };
  return (json.metric?.values ?? json.values)!.top1.value;
}

(ready ? describe : describe.skip)('image calibration on mnist-cnn', () => {
  const dir = tempDir('mc-imgcal-e2e-');

  it('gptq 4-bit on Conv and Gemm: logits closer to dense than int4 RTN at the same group size, top-1 within 2 points of both; the report names the calibration images and their digest', async () => {
    const gptq = await compressed(dir, 'gptq', [
      '--method',
      'gptq',
      '--group-size',
      '16',
      '--min-size',
      '1',
      '--calib-dataset',
      CALIB,
    ]);
    const rtn = await compressed(dir, 'rtn', ['--method', 'int4', '--block-size', '16', '--min-size', '1']);
    const notes = gptq.notes.join('\n');
    expect(notes).toMatch(/11 Conv\/Gemm as blocked int4 DequantizeLinear/);
    expect(notes).toMatch(
      /calibration: 128 images \(1x28x28, rescale 0\.00392157, mean \[0\], std \[1\] \(config\.json\)\) fed to pixel_values from .*mnist-calib \(u8-images\), seed 0, sha256 [0-9a-f]{12}/,
    );
    expect(notes).toMatch(/layer output error .* mean 0\.0\d+/);
    expect(gptq.drift).toBeLessThan(0.75 * rtn.drift);
    const [dense, g, r] = [await top1(MNIST, dir), await top1(gptq.path, dir), await top1(rtn.path, dir)];
    expect(g).toBeGreaterThanOrEqual(dense - 0.02);
    expect(g).toBeGreaterThanOrEqual(r - 0.02);
  }, 600_000);

  it('wanda and sparsegpt at 50 % beat magnitude at 50 % by 20 points', async () => {
    const prune = (algo: string) =>
      compressed(dir, algo, ['--method', 'prune', '--algo', algo, '--sparsity', '0.5', '--calib-dataset', CALIB]);
    const [m, w, s] = [
      await top1((await prune('magnitude')).path, dir),
      await top1((await prune('wanda')).path, dir),
      await top1((await prune('sparsegpt')).path, dir),
    ];
    expect(w).toBeGreaterThanOrEqual(m + 0.2);
    expect(s).toBeGreaterThanOrEqual(m + 0.2);
  }, 600_000);

  describe('a calibration dataset that does not suit the model: one line, exit 2, nothing written', () => {
    it.each([
      [
        'images of another size (digits-seg 64x64 for a 28x28 model)',
        MNIST,
        ['--method', 'gptq', '--calib-dataset', SEG_CALIB],
        /has 1x64x64 images; .* takes 1x28x28 \(height, width differ\)/,
      ],
      [
        'a text dataset for an image model',
        MNIST,
        ['--method', 'prune', '--algo', 'wanda', '--calib-dataset', TEXT],
        /is text, but .* takes images \(pixel_values float32/,
      ],
      [
        'an image dataset for a language model',
        LM,
        ['--method', 'gptq', '--calib-dataset', CALIB],
        /holds images, but .* takes input_ids int64 .*\(a language model\)/,
      ],
    ])(
      '%s',
      async (_name, model, args, message) => {
        const work = tempDir('mc-imgcal-bad-');
        const r = await runMc(['compress', model, ...args, '--out', join(work, 'out'), '--results', join(work, 'r')], {
          timeoutMs: 300_000,
        });
        expectOneLineRefusal(r, message, work, []);
        expect(filesIn(work)).toEqual([]);
      },
      300_000,
    );
  });
});
