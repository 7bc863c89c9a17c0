import { DataType } from '../onnx/dtypes.js';
import { OrtSessionFactory } from '../session/factory.js';
import { bigramModel, logSumExp, TABLE } from './bigram.fixture.js';
import { appendLossHead, LOSS_OUTPUT, LOSS_TARGETS, sumGroups } from './loss-head.js';
import { nllFromLogits } from './nll.js';

const factory = new OrtSessionFactory({ device: 'cpu' });

/** Batch 1: tokens 0 2 1 4 0 3 -> inputs 0 2 1 4 0, targets 2 1 4 0 3. */
const INPUTS = [0, 2, 1, 4, 0];
const TARGETS = [2, 1, 4, 0, 3];
// Worked out from TABLE: NLL(y | x) = logsumexp(TABLE[x]) - TABLE[x][y].
const EXPECTED = [
  Math.log(1 + Math.E + Math.exp(2) + Math.exp(3) + Math.exp(4)) - 2, // row 0, target 2
  Math.log(Math.exp(2) + 4) - 0, // row 2, target 1
  Math.log(5), // row 1 is uniform
  Math.log(1 + Math.exp(-2) + 3 * Math.exp(-100)), // row 4: lse = 100 + log(1 + e^-2 + 3e^-100), target logit 100
  Math.log(1 + Math.E + Math.exp(2) + Math.exp(3) + Math.exp(4)) - 3, // row 0, target 3
];
// Token 3 reads logits of 100: a float32 log-sum-exp is 100.12... rounded to float32 (ulp 7.6e-6 at
// 100), so the fused head can be off by half an ulp there; elsewhere the values are O(1).
const TOL = [1e-6, 1e-6, 1e-6, 4e-6, 1e-6];

async function fusedNll(
  opset: number,
  fp16 = false,
  table?: number[][],
  inputs = INPUTS,
  targets = TARGETS,
): Promise<Float32Array> {
  const model = bigramModel({ opset, fp16, table });
  appendLossHead(model);
  const session = await factory.create(model.toBytes());
  try {
    const T = inputs.length;
    const ids = { type: 'int64' as const, data: BigInt64Array.from(inputs, BigInt), dims: [1, T] };
    const tgt = { type: 'int64' as const, data: BigInt64Array.from(targets, BigInt), dims: [1, T] };
    const out = await session.run({ input_ids: ids, [LOSS_TARGETS]: tgt });
    expect(Object.keys(out)).toEqual([LOSS_OUTPUT]);
    expect(out[LOSS_OUTPUT].type).toBe('float32');
    expect(out[LOSS_OUTPUT].dims).toEqual([1, T]);
    return out[LOSS_OUTPUT].data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('appendLossHead', () => {
  it('hand-computed helper agrees with the written-out sums', () => {
    expect(logSumExp(TABLE[0])).toBeCloseTo(Math.log(1 + Math.E + Math.exp(2) + Math.exp(3) + Math.exp(4)), 12);
    expect(logSumExp(TABLE[4]) - 100).toBeCloseTo(Math.log(1 + Math.exp(-2)), 12);
  });

  it.each([11, 13, 17, 18])('gives the hand-computed NLL at opset %i (axes as attribute or input)', async (opset) => {
    const nll = await fusedNll(opset);
    EXPECTED.forEach((e, i) => expect(Math.abs(nll[i] - e)).toBeLessThanOrEqual(TOL[i]));
  });

  it('casts float16 logits to float32 first', async () => {
    // Every TABLE value this window reads is exact in float16 (only log(4), in row 3, is not).
    const nll = await fusedNll(17, true);
    EXPECTED.forEach((e, i) => expect(Math.abs(nll[i] - e)).toBeLessThanOrEqual(TOL[i]));
  });

  it.each([13, 18])('sums in two levels when V is composite (V = 16: 4 groups of 4), opset %i', async (opset) => {
    // TABLE16[x][v] = v (x + 1) / 8: row x is a geometric series with ratio r = e^((x+1)/8), so
    // logsumexp = log((r^16 - 1) / (r - 1)) and NLL(y | x) = that - y (x + 1) / 8.
    const table = Array.from({ length: 16 }, (_, x) => Array.from({ length: 16 }, (_, v) => (v * (x + 1)) / 8));
    const expected = (x: number, y: number) => {
      const r = Math.exp((x + 1) / 8);
      return Math.log((r ** 16 - 1) / (r - 1)) - (y * (x + 1)) / 8;
    };
    const model = bigramModel({ opset, table });
    appendLossHead(model);
    expect(model.nodes.map((n) => n.opType)).toEqual([
      'Gather',
      'Reshape',
      'ReduceLogSumExp',
      'ReduceLogSumExp',
      'Unsqueeze',
      'GatherElements',
      'Sub',
      'Squeeze',
    ]);
    const nll = await fusedNll(opset, false, table, [3, 15, 0, 9], [15, 0, 7, 9]);
    // NLLs up to 30 (x = 15, y = 0): a float32 ulp there is 1.9e-6
    [
      [3, 15],
      [15, 0],
      [0, 7],
      [9, 9],
    ].forEach(([x, y], i) => expect(Math.abs(nll[i] - expected(x, y))).toBeLessThanOrEqual(2e-6));
  });

  it('picks the divisor of V nearest sqrt(V) as the group count', () => {
    expect(sumGroups(4096)).toBe(64);
    expect(sumGroups(32000)).toBe(160); // 160 x 200
    expect(sumGroups(50257)).toBe(29); // 29 x 1733
    expect(sumGroups(151936)).toBe(128); // 2^7 x 1187
    expect(sumGroups(16)).toBe(4);
    expect(sumGroups(5)).toBe(1); // prime: one level
    expect(sumGroups(8)).toBe(1); // 2 x 4: not worth it
  });

  it('adds mc_targets, outputs only mc_nll, and never builds a second [B, T, V] tensor', () => {
    const model = bigramModel({ opset: 18 });
    const result = appendLossHead(model);
    expect(result).toEqual({ logits: 'logits', removedOutputs: ['logits'], head: { mode: 'full' } });
    expect(model.outputs.map((o) => o.name)).toEqual([LOSS_OUTPUT]);
    const targets = model.inputs.find((i) => i.name === LOSS_TARGETS);
    expect(targets?.type?.tensorType?.elemType).toBe(DataType.INT64);
    expect(targets?.type?.tensorType?.shape?.dim?.map((d) => d.dimParam)).toEqual(['batch', 'sequence']);
    const ops = model.nodes.map((n) => n.opType);
    expect(ops).toEqual(['Gather', 'ReduceLogSumExp', 'Unsqueeze', 'GatherElements', 'Sub', 'Squeeze']);
    expect(ops).not.toContain('LogSoftmax');
  });

  it('finds a rank-3 output not named logits, and refuses a model that has none', () => {
    const model = bigramModel({ logitsName: 'lm_logits' });
    expect(appendLossHead(model).logits).toBe('lm_logits');
    expect(() => appendLossHead(model)).toThrow(expect.objectContaining({ code: 'E_BAD_MODEL' }));
  });

  it('refuses opset < 11 (no GatherElements)', () => {
    expect(() => appendLossHead(bigramModel({ opset: 10 }))).toThrow(
      expect.objectContaining({ code: 'E_UNSUPPORTED' }),
    );
  });
});

describe('nllFromLogits (the JS reference)', () => {
  it('equals the hand-computed NLL in float64, large logits included', () => {
    const logits = Float32Array.from(INPUTS.flatMap((x) => [...TABLE[x]]));
    const nll = nllFromLogits(logits, 5, 5, TARGETS);
    // float32 output: relative rounding 6e-8
    EXPECTED.forEach((e, i) => expect(Math.abs(nll[i] - e)).toBeLessThanOrEqual(1e-6));
  });

  it('refuses a target outside the vocabulary', () => {
    expect(() => nllFromLogits(new Float32Array(5), 1, 5, [5])).toThrow(RangeError);
  });
});
