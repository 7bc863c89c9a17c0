// LLM-KICK benchmarks (issue 10): kick-mcq (MMLU 5-shot, one greedy token) on the full test set with
// the shared LM, the past_key_values prefix cache against full prompts on the same questions,
// generation tokens/s (bench/generate.mjs, when it exists), and an int4 g32 model against its dense
// baseline with the paired bootstrap. Accuracy of a 4-layer model trained on Python source is not
// the point: the pipeline is. Timings on a shared 2-core machine are pessimistic.
//
// KICK_LIMIT=N: questions per subject for the full run (default: all 14,042);
// KICK_COMPARE_LIMIT=N: per subject for the int4-vs-dense comparison (default 20);
// KICK_CACHE_LIMIT=N: per subject for the cache on/off comparison (default 3);
// KICK_PARTS=cache,full,generate,compare: the parts to run (default: all).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN, REPO } from './lib/measure.mjs';

const SHARED = resolve(REPO, '../shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm-kv');
const MMLU = join(SHARED, 'data/llm-kick/mmlu');
const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);

function mc(args) {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [BIN, ...args, '--json', '--device', 'cpu'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { result: JSON.parse(out), seconds: (performance.now() - t0) / 1000 };
}

function kickMcq(model, extra) {
  return mc([
    'eval',
    model,
    '--metric',
    'kick-mcq',
    '--dataset',
    MMLU,
    '--too-long',
    'skip',
    '--results',
    mkdtempSync(join(tmpdir(), 'mc-bench-kick-')),
    ...extra,
  ]);
}

const pct = (v) => `${(100 * v).toFixed(2)} %`;

function describe(label, { result, seconds }) {
  const m = result.metric;
  const scored = m.samples;
  const skipped = m.details.skipped.length;
  console.log(
    `${label}: ${scored} questions scored (${skipped} skipped: longer than the 512-token context with no shots), accuracy ${pct(m.values.accuracy.value)} ± ${pct(m.values.accuracy.stderr)}`,
  );
  console.log(
    `  predictions ${JSON.stringify(m.details.predictions)}; questions by shots ${JSON.stringify(m.details.questionsByShots)}`,
  );
  for (const [k, v] of Object.entries(m.values).filter(([k]) => k.startsWith('category/')))
    console.log(`  ${k}: ${pct(v.value)}`);
  console.log(
    `  ${seconds.toFixed(1)} s wall (evaluate ${result.timings.evaluateS.toFixed(1)} s), ${((1000 * result.timings.evaluateS) / scored).toFixed(1)} s per 1,000 questions`,
  );
  return result.timings.evaluateS / scored;
}

export async function benchKick() {
  if (!existsSync(LM) || !existsSync(MMLU)) {
    console.log('skipped: ../shared/models/tiny-stdlib-lm-kv or ../shared/data/llm-kick/mmlu is missing');
    return;
  }
  const limit = env('KICK_LIMIT', undefined);
  const cacheLimit = env('KICK_CACHE_LIMIT', 3);
  const compareLimit = env('KICK_COMPARE_LIMIT', 20);
  const parts = new Set((process.env.KICK_PARTS ?? 'cache,full,generate,compare').split(','));

  if (parts.has('cache')) {
    console.log(`-- kick-mcq, prefix cache on vs off (${cacheLimit} questions per subject, same questions)`);
    const on = kickMcq(LM, ['--limit', String(cacheLimit), '--log-samples']);
    const off = kickMcq(LM, ['--limit', String(cacheLimit), '--log-samples', '--no-kv-cache']);
    const tokens = (r) => r.result.metric.details.samples.map((s) => `${s.id}:${s.extra.token}`).join(',');
    const perOn = describe('cached prefix', on);
    const perOff = describe('full prompts ', off);
    console.log(
      `  same predictions: ${tokens(on) === tokens(off) ? 'yes' : 'NO'}; speedup ${(perOff / perOn).toFixed(2)}x (on ${cacheLimit} per subject the prefix runs are amortised over few questions: the full set gains more)`,
    );
  }

  if (parts.has('full')) {
    console.log(
      `\n-- kick-mcq, ${limit ? `${limit} questions per subject` : 'full MMLU test set (14,042 questions)'}, dense, prefix cached`,
    );
    describe('dense', kickMcq(LM, limit ? ['--limit', String(limit)] : []));
  }

  if (parts.has('generate')) {
    console.log('\n-- generation tokens/s');
    const gen = new URL('./generate.mjs', import.meta.url);
    if (existsSync(gen)) await (await import(gen.href)).benchGenerate();
    else console.log('  bench/generate.mjs does not exist yet: not measured');
  }
  if (!parts.has('compare')) return;

  console.log(`\n-- int4 g32 vs dense, --baseline (${compareLimit} questions per subject)`);
  const out = mkdtempSync(join(tmpdir(), 'mc-bench-int4-'));
  const compressed = mc([
    'compress',
    LM,
    '--method',
    'int4',
    '--block-size',
    '32',
    '--out',
    join(out, 'int4'),
    '--results',
    mkdtempSync(join(tmpdir(), 'mc-bench-r-')),
  ]);
  console.log(
    `  int4 g32: ${compressed.result.bitsPerWeight?.toFixed(3)} bits per weight (compressed tensors), size ratio ${compressed.result.sizeRatio.toFixed(2)}x`,
  );
  const cmp = kickMcq(join(out, 'int4'), ['--limit', String(compareLimit), '--baseline', LM]);
  describe('int4 g32', cmp);
  const c = cmp.result.metric.details.comparison;
  const v = cmp.result.metric.values;
  console.log(
    `  dense ${pct(v['accuracy.baseline'].value)} -> int4 ${pct(v.accuracy.value)}: delta ${pct(c.delta)}, ${Math.round(c.level * 100)} % interval [${pct(c.low)}, ${pct(c.high)}] (paired bootstrap, ${c.resamples} resamples, seed ${c.seed}); ${c.disagreements.length} of ${c.items} questions scored differently (right by one model, wrong by the other), ${c.outputChanges} with a different greedy token`,
  );
}
