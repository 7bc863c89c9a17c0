/**
 * eval --resume (issue 19 item 7) as a user meets it: a bpc run on the shared LM SIGKILLed halfway,
 * resumed, gives the figures and sums of an uninterrupted run bit for bit; a run with different params
 * does not take the cache of another; without --resume nothing is cached. kick-mcq (one record per
 * question) and kick-instruction (sampled generation, one record per answer) likewise.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, HAS_SHARED, REPO, runMc, SHARED, tempDir, warnSkip } from './helpers/cli.js';

const LM = join(SHARED, 'models/tiny-stdlib-lm');
const KV_LM = join(SHARED, 'models/tiny-stdlib-lm-kv');
const MMLU = join(SHARED, 'data/llm-kick/mmlu');
const VICUNA = join(SHARED, 'data/llm-kick/instruction');
const CORPUS = join(SHARED, 'data/stdlib-text/valid.jsonl');
const describeShared = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) warnSkip('the --resume tests (they evaluate the shared LM)');

interface Result {
  metric: { values: Record<string, { value: number }>; sums: Record<string, number> };
}
const BPC = ['eval', LM, '--metric', 'bpc', '--dataset', CORPUS, '--block-size', '64', '--device', 'cpu'];
const onlyResult = (dir: string): Result => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(join(dir, files[0]), 'utf8')) as Result;
};
const cacheParts = (results: string, part = 'valid.jsonl'): string[] =>
  existsSync(join(results, '.cache'))
    ? readdirSync(join(results, '.cache'))
        .filter((k) => !k.startsWith('.'))
        .flatMap((k) =>
          readdirSync(join(results, '.cache', k))
            .filter((f) => f === part || (part.endsWith('*') && f.startsWith(part.slice(0, -1))))
            .map((f) => join(results, '.cache', k, f)),
        )
    : [];
const lineCount = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);

/** Start a --resume run and SIGKILL it once its checkpoint holds `records` windows. */
async function killAfter(args: string[], results: string, records: number, part?: string): Promise<number> {
  const child = spawn(process.execPath, [BIN, ...args, '--resume', '--results', results], {
    cwd: REPO,
    stdio: 'ignore',
  });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline && !cacheParts(results, part).some((p) => lineCount(p) >= records))
    await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await closed;
  return Math.max(0, ...cacheParts(results, part).map(lineCount));
}

/**
 * SIGKILL a run once `after` of its `of` records of the checkpoint part `part-*` are on disk, then
 * run it again with --resume: it must say it resumes that part and finish.
 */
async function killThenResume(
  args: string[],
  results: string,
  { after, of, part }: { after: number; of: number; part: string },
): Promise<void> {
  const done = await killAfter(args, results, after, `${part}-*`);
  expect(done).toBeGreaterThanOrEqual(after);
  expect(done).toBeLessThan(of);
  const resumed = await runMc([...args, '--resume', '--results', results], { timeoutMs: 300_000 });
  expect(resumed.code).toBe(0);
  const metric = args[args.indexOf('--metric') + 1];
  expect(resumed.stderr).toMatch(
    new RegExp(`${metric}: resuming ${part}-[0-9a-f]{16} from \\d+ records of an earlier run`),
  );
}

describeShared('eval --resume', () => {
  it('a bpc run SIGKILLed halfway and resumed equals an uninterrupted one bit for bit, and leaves no cache', async () => {
    const clean = tempDir();
    expect(
      (await runMc([...BPC, '--limit', '3', '--stride', '32', '--results', clean], { timeoutMs: 300_000 })).code,
    ).toBe(0);
    const want = onlyResult(clean);
    expect(existsSync(join(clean, '.cache'))).toBe(false); // without --resume nothing is cached
    const windows = want.metric.sums.windows;
    expect(windows).toBeGreaterThan(100); // 385: time enough to kill it halfway

    const results = tempDir();
    const done = await killAfter([...BPC, '--limit', '3', '--stride', '32'], results, Math.floor(windows / 2));
    expect(done).toBeGreaterThanOrEqual(Math.floor(windows / 2));
    expect(done).toBeLessThan(windows); // killed before the end: the resumed run has work left
    expect(readdirSync(results).filter((f) => f.endsWith('.json'))).toEqual([]);

    const resumed = await runMc([...BPC, '--limit', '3', '--stride', '32', '--resume', '--results', results], {
      timeoutMs: 300_000,
    });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`bpc: resuming valid from (\\d+) records of an earlier run`));
    expect(Number(/resuming valid from (\d+) records/.exec(resumed.stderr)![1])).toBeGreaterThanOrEqual(done - 1); // a torn last line may be dropped
    const got = onlyResult(results);
    expect(got.metric.values.bpc.value).toBe(want.metric.values.bpc.value);
    expect(got.metric.sums).toEqual(want.metric.sums);
    expect(readdirSync(results).filter((f) => f.startsWith('.'))).toEqual([]); // the cache went with the result
  }, 600_000);

  it('a resumed run with different params does not take the cache of another', async () => {
    const results = tempDir();
    const done = await killAfter([...BPC, '--limit', '2', '--stride', '32'], results, 20);
    expect(done).toBeGreaterThanOrEqual(20);
    const other = await runMc([...BPC, '--limit', '2', '--stride', '48', '--resume', '--results', results], {
      timeoutMs: 300_000,
    });
    expect(other.code).toBe(0);
    expect(other.stderr).not.toContain('resuming');
    expect(cacheParts(results)).toHaveLength(1); // the stride-32 cache stays for its own resume
    expect(lineCount(cacheParts(results)[0])).toBe(done);
    const clean = tempDir();
    expect(
      (await runMc([...BPC, '--limit', '2', '--stride', '48', '--results', clean], { timeoutMs: 300_000 })).code,
    ).toBe(0);
    expect(onlyResult(results).metric.values.bpc.value).toBe(onlyResult(clean).metric.values.bpc.value);
  }, 600_000);

  (existsSync(MMLU) ? it : it.skip)(
    'kick-mcq SIGKILLed halfway and resumed scores every question once, with the same figures',
    async () => {
      const MCQ = [
        'eval',
        KV_LM,
        '--metric',
        'kick-mcq',
        '--dataset',
        MMLU,
        '--limit',
        '1',
        '--too-long',
        'skip',
        '--answer',
        'letters',
        '--device',
        'cpu',
      ];
      const clean = tempDir();
      expect((await runMc([...MCQ, '--results', clean], { timeoutMs: 300_000 })).code).toBe(0);
      const want = onlyResult(clean);
      expect(want.metric.sums.items).toBe(57); // one question per MMLU subject
      expect(want.metric.sums.score_sum).toBeGreaterThan(0); // letters: some right, some wrong, so equal scores mean something

      const results = tempDir();
      await killThenResume(MCQ, results, { after: 25, of: 57, part: 'model' });
      const got = onlyResult(results) as Result & { metric: { details: { items: unknown[] } } };
      expect(got.metric.values).toEqual(want.metric.values);
      expect(got.metric.sums).toEqual(want.metric.sums);
      expect(got.metric.details.items).toEqual((want as typeof got).metric.details.items);
    },
    600_000,
  );

  // Sampled (T 0.7, the default), on the recompute export (slow enough to be killed between batches).
  // The greedy tasks are not used here: on this LM their outputs are blank (factoid: spaces after
  // "The answer is "; icr: an empty first line), so equal figures would be zeros equal to zeros.
  (existsSync(VICUNA) ? it : it.skip)(
    'kick-instruction (sampled) SIGKILLed between batches resumes from its records, with the same answers and figures',
    async () => {
      const INSTRUCTION = [
        'eval',
        LM,
        '--metric',
        'kick-instruction',
        '--dataset',
        VICUNA,
        '--limit',
        '12',
        '--max-new-tokens',
        '48',
        '--batch-size',
        '2',
        '--log-samples',
        '--device',
        'cpu',
      ];
      const clean = tempDir();
      expect((await runMc([...INSTRUCTION, '--results', clean], { timeoutMs: 300_000 })).code).toBe(0);
      type Run = Result & { metric: { details: { items: unknown[]; samples: { output: string }[] } } };
      const want = onlyResult(clean) as Run;
      expect(want.metric.sums.items).toBe(12);
      expect(want.metric.sums.score_sum).toBeGreaterThan(0); // some answers non-empty
      expect(new Set(want.metric.details.samples.map((s) => s.output)).size).toBeGreaterThan(6); // sampled, varied text

      const results = tempDir();
      await killThenResume(INSTRUCTION, results, { after: 4, of: 12, part: 'generate' });
      const got = onlyResult(results) as Run;
      expect(got.metric.values).toEqual(want.metric.values);
      expect(got.metric.sums).toEqual(want.metric.sums);
      expect(got.metric.details).toEqual(want.metric.details); // the answers themselves, distinct-n, empty rate
      expect(readdirSync(results).filter((f) => f.startsWith('.'))).toEqual([]);
    },
    600_000,
  );
});
