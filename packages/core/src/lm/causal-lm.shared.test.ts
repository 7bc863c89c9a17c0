/**
 * The fused loss head on the shared real decoder (../shared/models/tiny-stdlib-lm, and its KV export
 * tiny-stdlib-lm-kv), against the logits path (log-softmax in float64 in JS).
 *
 * Tolerances: fused vs logits 1e-5, since both read the same float32 logits and differ only in a
 * float32 vs float64 log-sum-exp over 4096 values (NLLs of O(1-10)); plain vs KV export 1e-4, since
 * the two graphs compute attention with different ops (the README measured logits within 5.3e-6).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRunContext } from '../context.js';
import { loadModelRef } from '../model-ref.js';
import { OrtSessionFactory } from '../session/factory.js';
import { loadCausalLM } from './causal-lm.js';
import { loadTokenizer } from './tokenizer.js';
import type { LossHead, TokenWindows } from './types.js';

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..', '../shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const LM_KV = join(SHARED, 'models/tiny-stdlib-lm-kv');
const VALID = join(SHARED, 'data/stdlib-text/valid.jsonl');
const present = [LM, LM_KV].every((d) => existsSync(join(d, 'model.onnx'))) && existsSync(VALID);
if (!present)
  console.warn(
    `shared LM tests skipped: ${LM}, ${LM_KV} or ${VALID} is absent (the shared folder sits beside the repo, at ../shared)`,
  );

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });

/** A 512-token window of the first valid record: inputs ids[0..511], targets ids[1..512]. */
async function firstWindow(): Promise<{ window: TokenWindows; ids: number[] }> {
  const record = (JSON.parse(readFileSync(VALID, 'utf8').split('\n')[0]) as { content: string }).content;
  const ids = (await loadTokenizer(LM)).encode(record);
  expect(ids.length).toBeGreaterThanOrEqual(513);
  const window = {
    batch: 1,
    length: 512,
    inputs: Int32Array.from(ids.slice(0, 512)),
    targets: Int32Array.from(ids.slice(1, 513)),
  };
  return { window, ids };
}

async function nllOf(dir: string, lossHead: LossHead, window: TokenWindows): Promise<Float32Array> {
  const lm = await loadCausalLM(await loadModelRef(dir), ctx, { lossHead });
  try {
    return await lm.tokenNll(window);
  } finally {
    await lm.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a).toHaveLength(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

(present ? describe : describe.skip)('CausalLM on the shared tiny-stdlib-lm', () => {
  it('fused loss head = logits path within 1e-5 on a 512-token window', async () => {
    const { window } = await firstWindow();
    const fused = await nllOf(LM, 'fused', window);
    const logits = await nllOf(LM, 'logits', window);
    expect(maxAbsDiff(fused, logits)).toBeLessThan(1e-5);
    // a trained model: mean NLL well below uniform (ln 4096 = 8.3) and near its training loss of 2.8
    const mean = fused.reduce((s, x) => s + x, 0) / fused.length;
    expect(mean).toBeGreaterThan(0.5);
    expect(mean).toBeLessThan(5);
  });

  it("the KV export, its past fed empty, gives the plain model's NLL within 1e-4 (both heads)", async () => {
    const { window } = await firstWindow();
    const plain = await nllOf(LM, 'fused', window);
    const lm = await loadCausalLM(await loadModelRef(LM_KV), ctx);
    try {
      expect(lm.inputs).toEqual([
        'input_ids',
        'attention_mask',
        'position_ids',
        ...[0, 1, 2, 3].flatMap((i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]),
      ]);
      expect(maxAbsDiff(await lm.tokenNll(window), plain)).toBeLessThan(1e-4);
    } finally {
      await lm.release();
    }
    expect(maxAbsDiff(await nllOf(LM_KV, 'logits', window), plain)).toBeLessThan(1e-4);
  });

  it('a batch of 2 scores each row as it would alone', async () => {
    const { ids } = await firstWindow();
    const row = (from: number) => ({ inputs: ids.slice(from, from + 64), targets: ids.slice(from + 1, from + 65) });
    const [a, b] = [row(0), row(100)];
    const batch = {
      batch: 2,
      length: 64,
      inputs: Int32Array.from([...a.inputs, ...b.inputs]),
      targets: Int32Array.from([...a.targets, ...b.targets]),
    };
    const both = await nllOf(LM, 'fused', batch);
    const alone = await nllOf(LM, 'fused', {
      batch: 1,
      length: 64,
      inputs: Int32Array.from(b.inputs),
      targets: Int32Array.from(b.targets),
    });
    expect(maxAbsDiff(both.subarray(64), alone)).toBeLessThan(1e-5);
  });

  it('reads a context of 512 from config.json and refuses a 513-token window', async () => {
    const { ids } = await firstWindow();
    const lm = await loadCausalLM(await loadModelRef(LM), ctx);
    try {
      expect(lm.contextLength).toBe(512);
      expect(lm.vocabSize).toBe(4096);
      const long = {
        batch: 1,
        length: 513,
        inputs: Int32Array.from(ids.slice(0, 513)),
        targets: Int32Array.from(ids.slice(1, 514)),
      };
      await expect(lm.tokenNll(long)).rejects.toMatchObject({ code: 'E_BAD_PARAM' });
    } finally {
      await lm.release();
    }
  });
});
