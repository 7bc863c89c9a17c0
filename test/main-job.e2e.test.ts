/**
 * The main job on the bundled example, as a user runs it: compress the MNIST CNN with int8,
 * evaluate dense and compressed accuracy on the 2000 test digits, decompress, inspect.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxModel } from '@mc-kit/core';
import { EXAMPLES, REPO, runMc, tempDir } from './helpers/cli.js';

const MODEL_DIR = join(EXAMPLES, 'mnist-cnn');
const DATA = join(EXAMPLES, 'mnist-test');

interface EvalJson {
  metric: { values: { top1: { value: number }; top5: { value: number } }; sums: Record<string, number> };
  dataset: { size: number; digest: string; provider: string };
  model: { sha256: string };
}

describe('main job: int8 on the example CNN', () => {
  const dir = tempDir();
  const out = join(dir, 'mnist-int8.onnx');
  const results = join(dir, 'results');
  let compressJson: {
    bitsPerWeight: number;
    sizeRatio: number;
    output: { bytes: number; sha256: string };
    steps: { tensors: { action: string }[] }[];
  };

  beforeAll(async () => {
    const run = await runMc(['compress', MODEL_DIR, '--method', 'int8', '--out', out, '--results', results, '--json']);
    if (run.code !== 0) throw new Error(`compress failed: ${run.stderr}`);
    compressJson = JSON.parse(run.stdout);
  });

  it('writes a smaller model and reports measured bits per weight and size', () => {
    expect(statSync(out).size).toBe(compressJson.output.bytes);
    // 8-bit codes + one fp32 scale and one int8 zero point per output channel: a little over 8.
    expect(compressJson.bitsPerWeight).toBeGreaterThan(8);
    expect(compressJson.bitsPerWeight).toBeLessThan(9.5);
    expect(compressJson.sizeRatio).toBeGreaterThan(3);
    expect(compressJson.sizeRatio).toBeCloseTo(statSync(join(MODEL_DIR, 'model.onnx')).size / statSync(out).size, 6);
    expect(compressJson.steps[0].tensors.filter((t) => t.action === 'int8').length).toBeGreaterThan(0);
    const files = readdirSync(results);
    expect(files.filter((f) => f.startsWith('compress-'))).toHaveLength(1);
  });

  it('keeps accuracy within 0.5 points of dense on the 2000-digit test set', async () => {
    const dense = await runMc([
      'eval',
      MODEL_DIR,
      '--metric',
      'accuracy',
      '--dataset',
      DATA,
      '--results',
      results,
      '--json',
    ]);
    const int8 = await runMc(['eval', out, '--metric', 'accuracy', '--dataset', DATA, '--results', results, '--json']);
    expect(dense.code).toBe(0);
    expect(int8.code).toBe(0);
    const d = JSON.parse(dense.stdout) as EvalJson;
    const q = JSON.parse(int8.stdout) as EvalJson;
    expect(d.dataset.size).toBe(2000);
    // The model card's reference: 1972/2000 in onnxruntime-node 1.30 CPU.
    expect(d.metric.sums.correct_top1).toBe(1972);
    expect(Math.abs(q.metric.values.top1.value - d.metric.values.top1.value)).toBeLessThanOrEqual(0.005);
    expect(q.dataset.digest).toBe(d.dataset.digest);
    expect(q.model.sha256).toBe(compressJson.output.sha256);
  });

  it('runs in a plain onnxruntime-node session with no mc code', () => {
    const script = `
      import ort from 'onnxruntime-node';
      import { readFileSync } from 'node:fs';
      const s = await ort.InferenceSession.create(process.argv[1]);
      const px = readFileSync(process.argv[2]).subarray(0, 4 * 784);
      const x = new ort.Tensor('float32', Float32Array.from(px, (v) => v / 255), [4, 1, 28, 28]);
      const { logits } = await s.run({ pixel_values: x });
      const labels = [];
      for (let i = 0; i < 4; i++) { const row = Array.from(logits.data.slice(i * 10, i * 10 + 10)); labels.push(row.indexOf(Math.max(...row))); }
      console.log(JSON.stringify(labels));`;
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script, out, join(DATA, 'images.u8')], {
      cwd: REPO,
      encoding: 'utf8',
    });
    // Samples are stored round-robin: sample k has label k % 10.
    expect(JSON.parse(stdout)).toEqual([0, 1, 2, 3]);
  });

  it('decompresses to dense weights equal to the dequantized values, bit for bit', async () => {
    const dense = join(dir, 'mnist-dense.onnx');
    const run = await runMc(['decompress', out, '--out', dense, '--json']);
    expect(run.code).toBe(0);
    const q = await OnnxModel.load(out);
    const d = await OnnxModel.load(dense);
    const codes = q.getInitializer('head.1.weight_q')!.readTyped() as Int8Array;
    const scales = q.getInitializer('head.1.weight_scale')!.readFloat32();
    const w = d.getInitializer('head.1.weight')!;
    expect(w.dims).toEqual([128, 192]);
    const values = w.readFloat32();
    for (let row = 0; row < 128; row++) {
      for (let col = 0; col < 192; col += 7)
        expect(values[row * 192 + col]).toBe(Math.fround(codes[row * 192 + col] * scales[row]));
    }
    expect(d.getMetadata('mc.method')).toBeUndefined();
    expect(d.nodes.some((n) => n.opType === 'DequantizeLinear')).toBe(false);
  });

  it('inspect shows the mc metadata of the compressed model', async () => {
    const run = await runMc(['inspect', out, '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      mc: { method: string; bitsPerWeight: number };
      ops: Record<string, number>;
      opsets: Record<string, number>;
    };
    expect(report.mc.method).toBe('int8');
    expect(report.mc.bitsPerWeight).toBeCloseTo(compressJson.bitsPerWeight, 3);
    expect(report.ops.DequantizeLinear).toBeGreaterThan(0);
    expect(report.opsets['ai.onnx']).toBe(17);
    const human = await runMc(['inspect', out]);
    expect(human.stdout).toMatch(/compressed by mc: int8/);
    expect(readFileSync(out).length).toBeGreaterThan(0);
  });
});
