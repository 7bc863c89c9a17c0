import { promises as fs } from 'node:fs';
import { createRunContext } from '../context.js';
import { loadModelRef } from '../model-ref.js';
import { OrtSessionFactory } from '../session/factory.js';
import { bigramModel, modelFolder, TABLE, type BigramOptions } from './bigram.fixture.js';
import { loadCausalLM } from './causal-lm.js';
import type { LossHead, TokenWindows } from './types.js';

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

async function lmFor(options: BigramOptions, lossHead: LossHead, config?: Record<string, unknown>) {
  const dir = await modelFolder(bigramModel(options), config);
  dirs.push(dir);
  return loadCausalLM(await loadModelRef(dir), ctx, { lossHead });
}

/** Windows from token streams: inputs s[0..n-2], targets s[1..n-1]. */
function windowsOf(...streams: number[][]): TokenWindows {
  const length = streams[0].length - 1;
  return {
    batch: streams.length,
    length,
    inputs: Int32Array.from(streams.flatMap((s) => s.slice(0, -1))),
    targets: Int32Array.from(streams.flatMap((s) => s.slice(1))),
  };
}

// Row 1: tokens 0 2 1 4 0 3; row 2: tokens 3 3 2 0 1 4. NLL(y | x) = logsumexp(TABLE[x]) - TABLE[x][y]:
const LSE0 = Math.log(1 + Math.E + Math.exp(2) + Math.exp(3) + Math.exp(4)); // row 0 of TABLE
const LSE2 = Math.log(Math.exp(2) + 4); // row 2: one e^2 and four e^0
const LN5 = Math.log(5); // row 1 is uniform
const NLL_4_TO_0 = Math.log(1 + Math.exp(-2) + 3 * Math.exp(-100)); // row 4: 100 + log(...) - 100
const LN8 = Math.log(8); // row 3: four e^0 and e^log(4) = 8
const EXPECTED = [
  LSE0 - 2,
  LSE2 - 0,
  LN5,
  NLL_4_TO_0,
  LSE0 - 3,
  LN8 - 0,
  LN8 - 0,
  LSE2 - 2,
  LSE0 - 1,
  LN5, // 3->3 and 3->2 read logit 0 of row 3
];
const BATCH = windowsOf([0, 2, 1, 4, 0, 3], [3, 3, 2, 0, 1, 4]);
// float32 output everywhere; the one logsumexp over logits of 100 rounds to float32 there (ulp 7.6e-6)
const tolerance = (i: number) => (i === 3 ? 4e-6 : 1e-6);

describe.each<LossHead>(['fused', 'logits'])('CausalLM on a hand-made bigram model (%s)', (lossHead) => {
  it('returns the hand-computed NLL for a batch of 2, feeding an attention_mask the graph ignores', async () => {
    const lm = await lmFor({ attentionMask: true }, lossHead);
    try {
      expect(lm.inputs).toEqual(['input_ids', 'attention_mask']);
      expect(lm.vocabSize).toBe(5);
      const nll = await lm.tokenNll(BATCH);
      expect(nll).toHaveLength(10);
      EXPECTED.forEach((e, i) => expect(Math.abs(nll[i] - e)).toBeLessThanOrEqual(tolerance(i)));
    } finally {
      await lm.release();
    }
  });

  it('feeds past_key_values empty (the graph adds the past length to every id), position_ids and use_cache_branch', async () => {
    const lm = await lmFor(
      { attentionMask: true, positionIds: true, past: ['batch', 2, 'past', 4], useCacheBranch: true },
      lossHead,
    );
    try {
      expect(lm.inputs).toEqual([
        'input_ids',
        'attention_mask',
        'position_ids',
        'past_key_values.0.key',
        'past_key_values.0.value',
        'use_cache_branch',
      ]);
      const nll = await lm.tokenNll(BATCH);
      EXPECTED.forEach((e, i) => expect(Math.abs(nll[i] - e)).toBeLessThanOrEqual(tolerance(i)));
    } finally {
      await lm.release();
    }
  });

  it('takes symbolic past dims from config.json, and int32 input_ids', async () => {
    const config = { n_head: 2, n_embd: 8, n_positions: 16 };
    const lm = await lmFor({ past: ['batch', 'heads', 'past', 'head_dim'], int32Ids: true }, lossHead, config);
    try {
      const nll = await lm.tokenNll(windowsOf([1, 3, 4]));
      // row 1 is uniform; row 3 gives target 4 the logit log(4) of a total of 8
      expect(Math.abs(nll[0] - LN5)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(nll[1] - Math.log(2))).toBeLessThanOrEqual(1e-6);
    } finally {
      await lm.release();
    }
  });
});

describe('CausalLM checks', () => {
  it('reads the context length from config.json and refuses a longer window', async () => {
    const lm = await lmFor({}, 'fused', { n_positions: 4, vocab_size: 5 });
    try {
      expect(lm.contextLength).toBe(4);
      await expect(lm.tokenNll(windowsOf([0, 1, 2, 3, 4]))).resolves.toHaveLength(4);
      await expect(lm.tokenNll(windowsOf([0, 1, 2, 3, 4, 0]))).rejects.toMatchObject({
        code: 'E_BAD_PARAM',
        message: "a window of 5 tokens is longer than the model's context of 4 tokens",
        hint: expect.stringContaining('at most 4 positions'),
      });
    } finally {
      await lm.release();
    }
  });

  it('falls back to max_position_embeddings, then n_ctx', async () => {
    for (const [config, expected] of [
      [{ max_position_embeddings: 7, n_ctx: 9 }, 7],
      [{ n_ctx: 9 }, 9],
      [{}, undefined],
    ] as const) {
      const lm = await lmFor({}, 'logits', config);
      expect(lm.contextLength).toBe(expected);
      await lm.release();
    }
  });

  it('refuses token ids outside the vocabulary with a readable error', async () => {
    const lm = await lmFor({}, 'fused');
    try {
      await expect(lm.tokenNll(windowsOf([0, 1, 5]))).rejects.toMatchObject({
        code: 'E_BAD_MODEL',
        message: "token id 5 is outside the model's vocabulary of 5",
      });
    } finally {
      await lm.release();
    }
  });

  it('refuses a model without input_ids', async () => {
    const { GraphBuilder } = await import('../testing/graph-builder.js');
    const { DataType } = await import('../onnx/dtypes.js');
    const g = new GraphBuilder();
    const x = g.input('pixel_values', DataType.FLOAT, [1, 4]);
    g.output(g.relu(x), DataType.FLOAT);
    const dir = await modelFolder(g.build());
    dirs.push(dir);
    await expect(loadCausalLM(await loadModelRef(dir), ctx)).rejects.toMatchObject({
      code: 'E_BAD_MODEL',
      message: 'not a causal LM: no input_ids input',
      hint: expect.stringContaining('the model takes pixel_values'),
    });
  });

  it('TABLE row 3 sums to 8 (the fixture the expectations assume)', () => {
    expect(TABLE[3].reduce((s, x) => s + Math.exp(x), 0)).toBeCloseTo(8, 12);
  });
});
