/**
 * selectWeights: weights by their readers' roles, and with `vectors` the rank-1 parameters (biases,
 * norm scales) too, never a BatchNorm running statistic or a tensor read as data.
 */
import { DataType } from './dtypes.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { selectWeights } from './select-weights.js';

const f32 = (n: number) => new Float32Array(n).fill(0.5);

function model() {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 4, 8, 8]);
  const c = g.conv(
    x,
    g.initializer('conv.w', DataType.FLOAT, [16, 4, 3, 3], f32(16 * 4 * 9)),
    g.initializer('conv.b', DataType.FLOAT, [16], f32(16)),
    { pads: [1, 1, 1, 1] },
  );
  const [bn] = g.node('BatchNormalization', [
    c,
    g.initializer('bn.scale', DataType.FLOAT, [16], f32(16)),
    g.initializer('bn.bias', DataType.FLOAT, [16], f32(16)),
    g.initializer('bn.mean', DataType.FLOAT, [16], f32(16)),
    g.initializer('bn.var', DataType.FLOAT, [16], f32(16)),
  ]);
  const flat = g.flatten(g.globalAveragePool(bn));
  const h = g.add(
    g.matMul(flat, g.initializer('fc.w', DataType.FLOAT, [16, 12], f32(16 * 12))),
    g.initializer('fc.b', DataType.FLOAT, [12], f32(12)),
  );
  // a rank-1 tensor read as data (the Concat of two vectors), not as a parameter
  const [cat] = g.node('Concat', [h, g.initializer('table', DataType.FLOAT, [1, 12], f32(12))], { axis: 0 });
  g.output(cat, DataType.FLOAT);
  return g.build();
}

describe('selectWeights', () => {
  it('takes the weights only by default; a bias is no weight input', () => {
    const { candidates, skipped } = selectWeights(model(), { minSize: 10, include: [], exclude: [] });
    expect(candidates.map((c) => c.init.name).sort()).toEqual(['conv.w', 'fc.w']);
    expect(skipped.find((s) => s.init.name === 'conv.b')?.reason).toMatch(/not a weight input \(feeds Conv input 2/);
  });

  it('with vectors: biases and norm scale/shift too, never the running mean and variance or data', () => {
    const { candidates, skipped } = selectWeights(model(), { minSize: 10, include: [], exclude: [], vectors: true });
    expect(candidates.map((c) => c.init.name).sort()).toEqual([
      'bn.bias',
      'bn.scale',
      'conv.b',
      'conv.w',
      'fc.b',
      'fc.w',
    ]);
    const why = (n: string) => skipped.find((s) => s.init.name === n)?.reason;
    expect(why('bn.mean')).toMatch(/BatchNormalization input 3.*not as a bias or norm parameter/);
    expect(why('bn.var')).toMatch(/BatchNormalization input 4/);
    expect(why('table')).toMatch(/not a weight input \(feeds Concat/);
  });

  it('with vectors, the size floor and the globs still apply', () => {
    const { candidates } = selectWeights(model(), { minSize: 14, include: [], exclude: ['bn.*'], vectors: true });
    expect(candidates.map((c) => c.init.name).sort()).toEqual(['conv.b', 'conv.w', 'fc.w']); // fc.b has 12 < 14
  });
});

describe('selectWeights: the weight slots real exports need', () => {
  /** LSTM, GRU and RNN (W, R), ConvTranspose and a transB Gemm, each reading its own weight. */
  function recurrentAndTransposed() {
    const g = new GraphBuilder({ opset: 17 });
    const seq = g.input('seq', DataType.FLOAT, [5, 1, 8]); // [time, batch, input]
    const w = (name: string, dims: number[]) =>
      g.initializer(name, DataType.FLOAT, dims, f32(dims.reduce((a, b) => a * b, 1)));
    const [lstmY] = g.node(
      'LSTM',
      [seq, w('lstm.W', [1, 64, 8]), w('lstm.R', [1, 64, 16]), w('lstm.B', [1, 128])],
      { hidden_size: 16 },
      { outputs: 1 },
    );
    const [gruY] = g.node('GRU', [seq, w('gru.W', [2, 48, 8]), w('gru.R', [2, 48, 16])], {
      hidden_size: 16,
      direction: 'bidirectional',
    });
    const [rnnY] = g.node('RNN', [seq, w('rnn.W', [1, 16, 8]), w('rnn.R', [1, 16, 16])], { hidden_size: 16 });
    const img = g.input('img', DataType.FLOAT, [1, 8, 4, 4]);
    const [up] = g.node('ConvTranspose', [img, w('deconv.w', [8, 4, 3, 3])], { group: 2 });
    const fc = g.gemm(g.input('v', DataType.FLOAT, [1, 16]), w('fc.wT', [32, 16]), undefined, { transB: 1 });
    for (const y of [lstmY, gruY, rnnY, up, fc]) g.output(y, DataType.FLOAT);
    return g.build();
  }

  it('LSTM/GRU/RNN W and R: one scale per gate row (axis 1), blocks over the input features (axis 2); ConvTranspose: axis 1 over C (axis 0)', () => {
    const { candidates, skipped } = selectWeights(recurrentAndTransposed(), { minSize: 64, include: [], exclude: [] });
    expect(candidates.map((c) => [c.init.name, c.axis, c.reductionAxis, c.role])).toEqual([
      ['lstm.W', 1, 2, 'LSTM input 1 (LSTM_0)'],
      ['lstm.R', 1, 2, 'LSTM input 2 (LSTM_0)'],
      ['gru.W', 1, 2, 'GRU input 1 (GRU_0)'],
      ['gru.R', 1, 2, 'GRU input 2 (GRU_0)'],
      ['rnn.W', 1, 2, 'RNN input 1 (RNN_0)'],
      ['rnn.R', 1, 2, 'RNN input 2 (RNN_0)'],
      ['deconv.w', 1, 0, 'ConvTranspose input 1 (ConvTranspose_0)'],
      ['fc.wT', 0, 1, 'Gemm input 1 (Gemm_0)'],
    ]);
    // the LSTM bias B [1, 8·hidden] is rank 2 but not a weight input
    expect(skipped.map((s) => [s.init.name, s.cause])).toEqual([['lstm.B', 'not a weight input (read by LSTM)']]);
  });

  it('a skip says its tensor (reason) and its group (cause), and a hint where one helps', () => {
    const { skipped } = selectWeights(model(), {
      minSize: 1000,
      include: ['fc.*', 'conv.*', 'bn.*'],
      exclude: ['fc.b'],
      vectors: true,
    });
    const by = (n: string) => skipped.find((s) => s.init.name === n);
    expect(by('conv.w')).toMatchObject({
      reason: '576 elements < --min-size 1000',
      cause: 'fewer than --min-size 1000 elements',
      hint: 'lower --min-size (now 1000) to take them',
    });
    expect(by('fc.b')).toMatchObject({ reason: 'excluded by --exclude fc.b', cause: 'excluded by --exclude' });
    expect(by('table')).toMatchObject({
      reason: 'not a weight input (feeds Concat input 1 (Concat_0))',
      cause: 'not a weight input (read by Concat)',
    });
    expect(by('bn.mean')).toMatchObject({
      cause: 'rank-1 tensor not read as a bias or norm parameter (by BatchNormalization)',
    });
    const none = selectWeights(model(), { minSize: 10, include: ['nothing*'], exclude: [] }).skipped.find(
      (s) => s.init.name === 'fc.w',
    );
    expect(none).toMatchObject({
      cause: 'not matched by --include nothing*',
      hint: expect.stringMatching(/mc inspect --json/),
    });
  });
});
