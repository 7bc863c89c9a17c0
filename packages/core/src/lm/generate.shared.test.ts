/**
 * Generation on the shared real decoder: tiny-stdlib-lm-kv through its KV cache (left-padded batches)
 * must give, token for token, the greedy continuations of tiny-stdlib-lm recomputed in full
 * (right-padded batches). 24 prompts of different lengths cut from the validation records.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRunContext } from '../context.js';
import { loadModelRef } from '../model-ref.js';
import { OrtSessionFactory } from '../session/factory.js';
import { loadGenerator } from './generate.js';

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..', '../shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const LM_KV = join(SHARED, 'models/tiny-stdlib-lm-kv');
const VALID = join(SHARED, 'data/stdlib-text/valid.jsonl');
const present = [LM, LM_KV].every((d) => existsSync(join(d, 'model.onnx'))) && existsSync(VALID);
if (!present)
  console.warn(
    `shared generation tests skipped: ${LM}, ${LM_KV} or ${VALID} is absent (the shared folder sits beside the repo, at ../shared)`,
  );

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });

/** 24 prompts: record r's first 40 + 7·(r mod 5) characters, so lengths (and padding) differ within a batch. */
function prompts(): string[] {
  const records = readFileSync(VALID, 'utf8').split('\n').filter(Boolean).slice(0, 24);
  return records.map((line, r) => (JSON.parse(line) as { content: string }).content.slice(0, 40 + 7 * (r % 5)));
}

(present ? describe : describe.skip)('generate on tiny-stdlib-lm(-kv)', () => {
  it('greedy with the KV cache equals full recomputation token for token on 24 prompts', async () => {
    const kv = await loadGenerator(await loadModelRef(LM_KV), ctx);
    const plain = await loadGenerator(await loadModelRef(LM), ctx);
    try {
      expect(kv.cached).toBe(true);
      expect(plain.cached).toBe(false);
      const p = prompts();
      const cached = await kv.generate(p, { maxNewTokens: 12, stopOnEos: false });
      const full = await plain.generate(p, { maxNewTokens: 12, stopOnEos: false });
      expect(cached.map((g) => g.ids)).toEqual(full.map((g) => g.ids));
      expect(cached.every((g) => g.ids.length === 12)).toBe(true);
      expect(new Set(cached.map((g) => g.ids.join(','))).size).toBeGreaterThan(12); // real, prompt-dependent continuations
      // and the cache path alone, one prompt at a time, agrees with its padded batches
      const single = await kv.generate(p.slice(0, 6), { maxNewTokens: 12, stopOnEos: false, batchSize: 1 });
      expect(single.map((g) => g.ids)).toEqual(cached.slice(0, 6).map((g) => g.ids));
      expect(kv.contextLength).toBe(512);
    } finally {
      await kv.release();
      await plain.release();
    }
  }, 120_000);
});
