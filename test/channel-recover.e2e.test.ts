/**
 * Channel pruning that recovers (issue 22 item 3), as a user runs it: digits-unet at --ratio 0.5
 * calibrated on digits-seg-calib keeps its Dice on digits-seg-test-mini (L1 without refit: 0.000),
 * the report names the rule, the refit, the calibration set and per-layer errors, --recover none and
 * a run without calibration say the quality risk on the drift line, and the bad inputs of the issue
 * that reach channel pruning end in one line and exit 2 with nothing written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { expectOneLineRefusal, filesIn, HAS_SHARED, runMc, SHARED, tempDir, warnSkip } from './helpers/cli.js';

const UNET = join(SHARED, 'models/digits-unet');
const SEG_CALIB = join(SHARED, 'data/digits-seg-calib');
const SEG_MINI = join(SHARED, 'data/digits-seg-test-mini');
const MNIST_CALIB = join(SHARED, 'data/mnist-calib');
const TEXT = join(SHARED, 'data/stdlib-text/valid.jsonl');
const describeShared = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) warnSkip('the channel-recovery end-to-end tests');

interface Tensor {
  name: string;
  action: string;
  outputError?: number;
  outputErrorBefore?: number;
}
interface CompressJson {
  output: { path: string };
  steps: { notes: string[]; qualityRisk?: string; tensors: Tensor[] }[];
  drift: { inputs: string; warning?: string };
}

/** The first 4 mini images through a plain onnxruntime session. */
async function logits(path: string): Promise<Float32Array> {
  const pixels = readFileSync(join(SEG_MINI, 'images.u8')).subarray(0, 4 * 64 * 64);
  const session = await ort.InferenceSession.create(path);
  const out = await session.run({
    pixel_values: new ort.Tensor(
      'float32',
      Float32Array.from(pixels, (v) => v / 255),
      [4, 1, 64, 64],
    ),
  });
  await session.release();
  return out.logits.data as Float32Array;
}

describeShared('channel pruning with recovery on digits-unet', () => {
  it('ratio 0.5 with --calib-dataset: Dice on digits-seg-test-mini >= 0.955, report names rule, refit, calibration digest and per-layer errors', async () => {
    const dir = tempDir();
    const c = await runMc(
      [
        'compress',
        UNET,
        '--method',
        'prune',
        '--algo',
        'channel',
        '--ratio',
        '0.5',
        '--calib-dataset',
        SEG_CALIB,
        '--out',
        join(dir, 'u'),
        '--json',
        '--results',
        dir,
      ],
      { timeoutMs: 300_000 },
    );
    expect(c.code).toBe(0);
    const r = JSON.parse(c.stdout) as CompressJson;
    const notes = r.steps[0].notes.join('\n');
    expect(notes).toMatch(/greedy OBS over whole channels/);
    expect(notes).toMatch(/refit W_K = W G\[:,K\] G_KK\^-1 with a ones column for the bias/);
    const escaped = SEG_CALIB.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    expect(notes).toMatch(
      new RegExp(
        `calibration: 128 images \\(1x64x64, .*\\) fed to pixel_values from ${escaped} \\([\\w-]+\\), seed 0, sha256 [0-9a-f]{12}`,
      ),
    );
    expect(r.steps[0].qualityRisk).toBeUndefined();
    // no --probe-dataset: the drift probes come from the calibration images, not random pixels (on
    // which a refit model reads as broken), and no warning is raised for a model that keeps its Dice
    expect(r.drift.inputs).toBe(SEG_CALIB);
    expect(r.drift.warning).toBeUndefined();
    // every refit layer: the error after the refit well below the error of dropping the inputs
    const refit = r.steps[0].tensors.filter((t) => t.outputErrorBefore !== undefined);
    expect(refit.map((t) => t.name)).toEqual(expect.arrayContaining(['dec3.0.weight', 'up3.weight', 'bott.3.weight']));
    for (const t of refit) expect(t.outputError!).toBeLessThan(0.5 * t.outputErrorBefore!);

    const e = await runMc([
      'eval',
      join(dir, 'u'),
      '--metric',
      'dice',
      '--dataset',
      SEG_MINI,
      '--json',
      '--results',
      dir,
    ]);
    expect(e.code).toBe(0);
    const dice = (JSON.parse(e.stdout) as { metric: { values: { dice: { value: number } } } }).metric.values.dice.value;
    expect(dice).toBeGreaterThanOrEqual(0.955); // dense 0.9639; L1 without refit 0.000
  });

  it('without calibration data (and with --recover none) keeps the L1 choice and says the quality risk on the drift line', async () => {
    const dir = tempDir();
    const plain = await runMc([
      'compress',
      UNET,
      '--method',
      'prune',
      '--algo',
      'channel',
      '--ratio',
      '0.25',
      '--out',
      join(dir, 'a'),
      '--results',
      dir,
    ]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(
      /^drift on .*; quality risk: prune: channel pruning without refit \(no --calib-dataset\): quality often collapses/m,
    );
    const none = await runMc([
      'compress',
      UNET,
      '--method',
      'prune',
      '--algo',
      'channel',
      '--ratio',
      '0.25',
      '--recover',
      'none',
      '--calib-dataset',
      SEG_CALIB,
      '--out',
      join(dir, 'b'),
      '--json',
      '--results',
      dir,
    ]);
    expect(none.code).toBe(0);
    const r = JSON.parse(none.stdout) as CompressJson;
    expect(r.steps[0].qualityRisk).toMatch(/--recover none/);
    expect(r.steps[0].notes[0]).toMatch(/L1 norm of each output filter, no refit/);
    // the same function as without calibration (only the recorded parameters differ): --recover none is today's behaviour
    expect(await logits(join(dir, 'b', 'model.onnx'))).toEqual(await logits(join(dir, 'a', 'model.onnx')));
  });
});

describeShared('bad input for channel pruning with recovery: one line, exit 2, nothing written', () => {
  const refuses = async (args: string[], message: RegExp) => {
    const dir = tempDir();
    const before = filesIn(dir);
    const run = await runMc(
      ['compress', UNET, '--method', 'prune', '--algo', 'channel', ...args, '--out', join(dir, 'out')],
      { cwd: dir },
    );
    expectOneLineRefusal(run, message, dir, before);
  };

  it('--recover obs without --calib-dataset', () =>
    refuses(['--recover', 'obs'], /--recover obs needs calibration data/));
  it('calibration images that do not fit the model input (28x28 mnist for a 64x64 UNet)', () =>
    refuses(['--calib-dataset', MNIST_CALIB], /28.*64|64.*28/));
  it('a text dataset as calibration for an image model', () => refuses(['--calib-dataset', TEXT], /text/));
});
