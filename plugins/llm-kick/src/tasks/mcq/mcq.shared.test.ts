/**
 * On the shared LM and the real MMLU files (skipped without ../shared): the spliced prompt ids equal a
 * full encoding, and the prefix cached through past_key_values gives the plain model's predictions.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRunContext, loadModelRef, loadTokenizer, OrtSessionFactory, parseParams } from '@mc-kit/core';
import type { ItemScore } from '../../shared/index.js';
import { MmluDataset } from './dataset.js';
import { KickMcqMetric, MCQ_PARAMS } from './metric.js';
import { openNextTokenModel } from './next-token.js';
import { SubjectPrompts, splitsBeforeNewlines } from './prompt-tokens.js';

const SHARED = resolve(process.cwd(), '../shared');
const MMLU = resolve(SHARED, 'data/llm-kick/mmlu');
const PLAIN = resolve(SHARED, 'models/tiny-stdlib-lm');
const KV = resolve(SHARED, 'models/tiny-stdlib-lm-kv');
const HAS = existsSync(MMLU) && existsSync(KV) && existsSync(PLAIN);
const describeShared = HAS ? describe : describe.skip;
if (!HAS) console.warn('SKIPPED kick-mcq on the shared LM: ../shared (models and data) is not beside the repository');

const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
});
const openMmlu = (limit: number) => new MmluDataset().open({ ref: MMLU, path: MMLU, limit }, ctx);

describeShared('kick-mcq on the shared LM', () => {
  it('splices prompt ids that equal the full encoding, for every subject and every shot count', async () => {
    expect(splitsBeforeNewlines(KV)).toBe(true);
    const tokenizer = await loadTokenizer(KV);
    const data = await openMmlu(2);
    let checked = 0;
    for (const subject of data.subjects) {
      const spliced = new SubjectPrompts(subject, tokenizer, false, true);
      for (const q of subject.questions) {
        for (let k = 0; k <= 5; k++) {
          const p = spliced.fit(q, k, undefined)!;
          expect(p.shots).toBe(k);
          expect(p.ids).toEqual(tokenizer.encode(spliced.textOf(q, k)));
          checked++;
        }
      }
    }
    expect(checked).toBe(57 * 2 * 6);
  });

  it('gives the same greedy token with the prefix cached (KV export) as the plain export in full', async () => {
    const data = await openMmlu(1);
    const metric = new KickMcqMetric();
    const logged = async (model: string, kv: boolean) =>
      (
        await metric.evaluate(
          await loadModelRef(model),
          data,
          parseParams(MCQ_PARAMS, { 'too-long': 'skip', 'kv-cache': kv, 'log-samples': true }, 'kick-mcq'),
          ctx,
        )
      ).details?.samples as ItemScore[];
    const cached = await logged(KV, true);
    const plain = await logged(PLAIN, false);
    expect(cached.length).toBeGreaterThan(40);
    expect(cached.every((s) => s.extra?.cached === 1)).toBe(true);
    expect(plain.every((s) => s.extra?.cached === 0)).toBe(true);
    expect(cached.map((s) => [s.id, s.extra?.token])).toEqual(plain.map((s) => [s.id, s.extra?.token]));
  });

  it('keeps a cached prefix per shot count: alternating prefixes run each once and give the full-pass tokens', async () => {
    const tokenizer = await loadTokenizer(KV);
    const model = await loadModelRef(KV);
    const cached = await openNextTokenModel(model, ctx, { cache: true });
    const full = await openNextTokenModel(model, ctx, { cache: false });
    const [a, b] = ['import os\nimport sys\n\n', 'def area(r):\n    return 3.14 * r * r\n\n'].map((t) =>
      tokenizer.encode(t),
    );
    const [q1, q2] = ['class Point:\n', 'for i in range('].map((t) => tokenizer.encode(t));
    const prompts = [
      [a, q1],
      [b, q1],
      [a, q2],
      [b, q2],
    ];
    try {
      for (const [prefix, question] of prompts) {
        const ids = [...prefix, ...question];
        const hit = await cached.next(ids, prefix.length);
        expect(hit.cached).toBe(true);
        expect(hit.token).toBe((await full.next(ids, prefix.length)).token);
      }
      expect(cached.stats).toMatchObject({ runs: 2 + 4, cachedRuns: 4 });
      expect(full.stats).toMatchObject({ runs: 4, cachedRuns: 0 });
    } finally {
      await cached.release();
      await full.release();
    }
  });
});
