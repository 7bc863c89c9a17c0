// Generation throughput (issue 10): new tokens per second, greedy, on the shared tiny decoder, with the
// KV cache (tiny-stdlib-lm-kv) and with full recomputation (tiny-stdlib-lm, and the KV export with
// noCache), at 64 and 256 new tokens, one prompt at a time and 4 in one batch. Also checks that cached and recomputed
// greedy continuations agree. Needs the core build (npx tsc -p packages/core/tsconfig.json).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OrtSessionFactory, createRunContext, loadGenerator, loadModelRef } from '@mc-kit/core';
import { REPO, table } from './lib/measure.mjs';

const SHARED = join(REPO, '..', 'shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const LM_KV = join(SHARED, 'models/tiny-stdlib-lm-kv');
const VALID = join(SHARED, 'data/stdlib-text/valid.jsonl');

/** prompts per measurement (one batch of them, or one at a time) */
const PROMPTS = 4;

/** Prompts of about 60 tokens cut from the validation records. */
function prompts(n) {
  const records = readFileSync(VALID, 'utf8').split('\n').filter(Boolean);
  return records.slice(0, n).map((l) => JSON.parse(l).content.slice(0, 200));
}

export async function benchGenerate() {
  if (![LM, LM_KV].every((d) => existsSync(join(d, 'model.onnx'))) || !existsSync(VALID)) {
    console.log(`  skipped: ${LM}, ${LM_KV} or ${VALID} is absent`);
    return;
  }
  const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
  const setups = [
    ['kv export, cache', LM_KV, {}],
    ['kv export, no cache', LM_KV, { noCache: true }],
    ['plain export (recompute)', LM, {}],
  ];
  const rows = [];
  const ids = {};
  for (const [label, dir, options] of setups) {
    const g = await loadGenerator(await loadModelRef(dir), ctx, options);
    await g.generate(prompts(1), { maxNewTokens: 4 }); // warm-up
    for (const newTokens of [64, 256]) {
      for (const batch of [1, PROMPTS]) {
        const p = prompts(PROMPTS);
        const t0 = performance.now();
        const out = await g.generate(p, { maxNewTokens: newTokens, stopOnEos: false, batchSize: batch });
        const s = (performance.now() - t0) / 1000;
        const tokens = out.reduce((n, o) => n + o.ids.length, 0);
        rows.push([label, newTokens, batch, tokens, s.toFixed(2), (tokens / s).toFixed(1)]);
        console.log(
          `  ${label}: ${newTokens} new tokens, batch ${batch}: ${tokens} tokens in ${s.toFixed(2)} s = ${(tokens / s).toFixed(1)} tokens/s`,
        );
        ids[`${label}/${newTokens}/${batch}`] = out.map((o) => o.ids.join(','));
      }
    }
    await g.release();
  }
  console.log(
    `  ${PROMPTS} prompts (the first 200 characters of ${PROMPTS} validation records), greedy, EOS not stopping; 2 cores shared with other work: timings are pessimistic`,
  );
  console.log(table(['setup', 'new tokens', 'batch', 'tokens', 's', 'tokens/s'], rows).replace(/^/gm, '  '));
  const tps = (label, n, b) => Number(rows.find((r) => r[0] === label && r[1] === n && r[2] === b)[5]);
  for (const n of [64, 256]) {
    for (const b of [1, PROMPTS]) {
      console.log(
        `  cache speed-up at ${n} new tokens, batch ${b}: x${(tps('kv export, cache', n, b) / tps('plain export (recompute)', n, b)).toFixed(1)} over the plain export`,
      );
    }
  }
  const agree = Object.keys(ids)
    .filter((k) => k.startsWith('kv export, cache'))
    .every((k) => {
      const other = k.replace('kv export, cache', 'plain export (recompute)');
      return ids[k].every((s, i) => s === ids[other][i]);
    });
  console.log(`  cached greedy == recomputed greedy on all runs: ${agree}`);
}
