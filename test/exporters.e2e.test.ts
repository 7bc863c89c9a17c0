/**
 * Models from other exporters, driven through bin/mc as a user would (issue 16 items 1 and 6):
 * silero-vad's weights inside both If branches are quantized (ratio >= 3x) and its speech
 * probabilities stay within 0.02 of dense; inspect counts Constant-node parameters; the console
 * says what was moved and why tensors were left, once per reason; a Constant that cannot be a
 * weight is one line and exit 2.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataType,
  OnnxModel,
  OrtSessionFactory,
  type CompressResult,
  type HostTensor,
  type InspectReport,
  type McSession,
} from '@mc-kit/core';
import { attr, GraphBuilder, ifBranchesModel, paddleStyleModel } from '@mc-kit/core/testing';
import { filesIn, HAS_SHARED, lines, runMc, SHARED, tempDir, warnSkip } from './helpers/cli.js';

const SILERO = join(SHARED, 'models', 'third-party', 'silero-vad', 'model.onnx');
const sessions = new OrtSessionFactory({ device: 'cpu' });

/** Windows of synthetic audio: a 220 Hz tone with a 660 Hz overtone and a 3 Hz swell, five windows of eight, under uniform noise. */
function audio(windows: number, samples: number, rate: number, seed: number): Float32Array[] {
  let state = seed;
  const noise = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return Array.from({ length: windows }, (_, k) =>
    Float32Array.from({ length: samples }, (_, i) => {
      const t = (k * samples + i) / rate;
      const voiced =
        k % 8 < 5
          ? 0.3 * Math.sin(2 * Math.PI * 220 * t) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t)) +
            0.15 * Math.sin(2 * Math.PI * 660 * t)
          : 0;
      return voiced + 0.02 * noise();
    }),
  );
}

/** Speech probability per window, the LSTM state (h, c) fed from one window to the next as silero-vad expects. */
async function speechProbabilities(
  session: McSession,
  windows: readonly Float32Array[],
  rate: number,
): Promise<number[]> {
  let h: HostTensor = { type: 'float32', data: new Float32Array(128), dims: [2, 1, 64] };
  let c: HostTensor = { type: 'float32', data: new Float32Array(128), dims: [2, 1, 64] };
  const out: number[] = [];
  for (const x of windows) {
    const r = await session.run({
      input: { type: 'float32', data: x, dims: [1, x.length] },
      sr: { type: 'int64', data: BigInt64Array.of(BigInt(rate)), dims: [] },
      h,
      c,
    });
    out.push((r.output.data as Float32Array)[0]);
    [h, c] = [r.hn, r.cn];
  }
  return out;
}

describe('silero-vad (PyTorch, opset 16, weights inside both If branches)', () => {
  if (!HAS_SHARED) {
    it.skip('needs ../shared/models/third-party/silero-vad', () => undefined);
    warnSkip('silero-vad int8');
    return;
  }
  const dir = tempDir();
  const out = join(dir, 'silero-int8.onnx');
  let result: CompressResult;
  let dense: McSession;
  let int8: McSession;

  beforeAll(async () => {
    const run = await runMc([
      'compress',
      SILERO,
      '--method',
      'int8',
      '--out',
      out,
      '--results',
      join(dir, 'results'),
      '--json',
    ]);
    expect(run.code).toBe(0);
    result = JSON.parse(run.stdout) as CompressResult;
    dense = await sessions.create(SILERO);
    int8 = await sessions.create(out); // the written file loads in onnxruntime
  });
  afterAll(async () => {
    await dense?.release();
    await int8?.release();
  });

  it('quantizes the LSTM weights inside the branches too: at least 3x smaller', () => {
    expect(result.hoistedWeights).toEqual({ constants: 0, fromSubgraphs: 32, renamed: [] });
    const lstm = result.steps[0].tensors.filter((t) => t.shape.length === 3 && t.shape[1] === 256 && t.shape[2] === 64);
    expect(lstm.map((t) => t.action)).toEqual(Array(16).fill('int8')); // W and R of 8 LSTMs, 2 levels down
    expect(result.sizeRatio).toBeGreaterThanOrEqual(3);
  });

  it('32 windows at 16 kHz (512 samples): speech probabilities within 0.02 of dense', async () => {
    const windows = audio(32, 512, 16000, 7);
    const [want, got] = [
      await speechProbabilities(dense, windows, 16000),
      await speechProbabilities(int8, windows, 16000),
    ];
    expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.5); // the audio has speech-like and silent stretches
    for (let i = 0; i < windows.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(0.02);
  });

  it('the 8 kHz branch too (256 samples)', async () => {
    const windows = audio(16, 256, 8000, 11);
    const [want, got] = [
      await speechProbabilities(dense, windows, 8000),
      await speechProbabilities(int8, windows, 8000),
    ];
    for (let i = 0; i < windows.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(0.02);
  });

  it('the console says what was moved, and what was left once per reason', async () => {
    const run = await runMc([
      'compress',
      SILERO,
      '--method',
      'int8',
      '--out',
      join(dir, 'again.onnx'),
      '--results',
      join(dir, 'results'),
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^weights: 32 from If\/Loop\/Scan bodies made main-graph initializers before the first method$/m,
    );
    const notes = lines(run.stdout).filter((l) => /^ {2}note: \d+ tensors? \(/.test(l));
    expect(notes.length).toBeLessThanOrEqual(8);
    expect(notes).toContainEqual(
      expect.stringMatching(
        /^ {2}note: 16 tensors \(3,502 elements\) left float: fewer than --min-size 1024 elements .*; lower --min-size \(now 1024\) to take them$/,
      ),
    );
  });

  it("inspect counts the branches' parameters and names each body", async () => {
    const run = await runMc(['inspect', SILERO, '--json']);
    const report = JSON.parse(run.stdout) as InspectReport;
    // 68 outer tensors (178,696), 4 scalars in the two top branches, 4 bodies of 2 LSTMs (W, R 16,384 each; B 512)
    expect(report.parameterCount).toBe(178696 + 8 + 4 * (2 * (2 * 16384 + 512)));
    expect(report.weights.places.map((p) => p.scope ?? p.home)).toContain('If_25/then_branch > If_177/else_branch');
  });
});

describe('models from other exporters, through bin/mc', () => {
  it("inspect: a Paddle2ONNX model's parameters are in Constant nodes, not 0", async () => {
    const dir = tempDir();
    const path = join(dir, 'paddle.onnx');
    writeFileSync(path, paddleStyleModel(11).model.toBytes());
    const human = await runMc(['inspect', path]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^10,868 float parameters$/m);
    expect(human.stdout).toMatch(/│ Constant nodes\s+│\s+14 │\s+10868 │/);
    const json = JSON.parse((await runMc(['inspect', path, '--json'])).stdout) as InspectReport;
    expect(json.parameterCount).toBe(10868);
  });

  it('compress on an If model: branch weights moved, a clashing name renamed, both said on the console', async () => {
    const dir = tempDir();
    const path = join(dir, 'if.onnx');
    writeFileSync(path, ifBranchesModel().model.toBytes());
    const run = await runMc([
      'compress',
      path,
      '--method',
      'int8',
      '--out',
      join(dir, 'q.onnx'),
      '--results',
      join(dir, 'r'),
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^weights: 2 from If\/Loop\/Scan bodies made main-graph initializers before the first method \(renamed, as another value has the name: w in If_0\/else_branch -> w_1\)$/m,
    );
  });

  it('a sparse Constant where a MatMul reads its weight: one line, exit 2, naming the op and the opset; nothing written', async () => {
    const dir = tempDir();
    const g = new GraphBuilder({ opset: 11 });
    const x = g.input('x', DataType.FLOAT, [2, 4]);
    const [w] = g.node(
      'Constant',
      [],
      { value: attr.tensor(DataType.FLOAT, [4, 3], new Float32Array(12)) },
      { name: 'w_const', outputs: ['w'] },
    );
    g.output(g.node('MatMul', [x, w], {}, { name: 'fc' })[0], DataType.FLOAT);
    const proto = g.toProto();
    proto.graph!.node![0].attribute = [
      {
        name: 'sparse_value',
        type: 11 /* SPARSE_TENSOR */,
        sparseTensor: {
          dims: [4, 3],
          values: { dataType: DataType.FLOAT, dims: [1], floatData: [1] },
          indices: { dataType: DataType.INT64, dims: [1], int64Data: [5] },
        },
      },
    ];
    writeFileSync(join(dir, 'sparse.onnx'), OnnxModel.fromProto(proto).toBytes());
    const before = filesIn(dir);
    const run = await runMc(
      [
        'compress',
        join(dir, 'sparse.onnx'),
        '--method',
        'int8',
        '--out',
        join(dir, 'out.onnx'),
        '--results',
        join(dir, 'r'),
      ],
      { cwd: dir },
    );
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(
        /^Error: Constant node w_const \(opset 11\) holds a sparse tensor where MatMul node fc reads its weight/,
      ),
    ]);
    expect(filesIn(dir)).toEqual(before);
  });
});
