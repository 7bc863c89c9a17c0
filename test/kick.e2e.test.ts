/**
 * kick-mcq as a user runs it (built bin/mc): bad MMLU folders end in one line and exit 2 with no
 * result written; a small run on the shared LM writes a result with the per-subject table and,
 * with --baseline, the paired comparison.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAS_SHARED, SHARED, lines, runMc, tempDir, warnSkip } from './helpers/cli.js';

const LM = join(SHARED, 'models/tiny-stdlib-lm-kv');
const MMLU = join(SHARED, 'data/llm-kick/mmlu');
const HAS_KICK = HAS_SHARED && existsSync(MMLU) && existsSync(LM);
const describeShared = HAS_KICK ? describe : describe.skip;
if (!HAS_KICK) warnSkip('the kick-mcq end-to-end tests');

const DEV = 'Q0?,a,b,c,d,A\nQ1?,a,b,c,d,B\nQ2?,a,b,c,d,C\nQ3?,a,b,c,d,D\nQ4?,a,b,c,d,A\n';

function mmlu(files: Record<string, string>): string {
  const dir = tempDir('mc-kick-mmlu-');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

async function expectOneLine(dataset: string, message: RegExp, extra: string[] = []): Promise<void> {
  const results = tempDir();
  const run = await runMc(['eval', LM, '--metric', 'kick-mcq', '--dataset', dataset, '--results', results, ...extra]);
  expect(run.code).toBe(2);
  expect(lines(run.stderr)).toHaveLength(1);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(readdirSync(results)).toEqual([]);
}

describeShared('kick-mcq bad input', () => {
  it('a malformed CSV row names the file and line', async () => {
    await expectOneLine(
      mmlu({ 'dev/x_dev.csv': DEV, 'test/x_test.csv': 'ok?,1,2,3,4,A\nbad,1,2,3,4,5,A\n' }),
      /^Error: test\/x_test\.csv:2: 7 fields, expected 6/,
    );
  });

  it('an unclosed quote names the file and line', async () => {
    await expectOneLine(
      mmlu({ 'dev/x_dev.csv': DEV, 'test/x_test.csv': 'ok?,1,2,3,4,A\n"open,1,2,3,4,A\n' }),
      /^Error: test\/x_test\.csv:\d+: malformed CSV/,
    );
  });

  it('a folder missing the dev split says so', async () => {
    await expectOneLine(mmlu({ 'test/x_test.csv': 'ok?,1,2,3,4,A\n' }), /no dev split \(dev\/<subject>_dev\.csv\)/);
  });

  it("a question longer than the model's context with no shots is refused with its id, before any model runs", async () => {
    await expectOneLine(
      MMLU,
      /^Error: kick-mcq: question [a-z_]+\/test\/\d+ is \d+ tokens with no shots, longer than the model's context of 512 tokens \(config\.json\) \(hint: .*--too-long skip/,
    );
  });

  it('a baseline that does not exist is refused before any scoring', async () => {
    await expectOneLine(
      mmlu({ 'dev/x_dev.csv': DEV, 'test/x_test.csv': 'ok?,1,2,3,4,A\n' }),
      /model not found: \/nonexistent/,
      ['--baseline', '/nonexistent'],
    );
  });
});

describeShared('kick-mcq on the shared LM', () => {
  it('scores one question per subject against itself as baseline: delta 0, no disagreements, --json', async () => {
    const results = tempDir();
    const run = await runMc(
      [
        'eval',
        LM,
        '--metric',
        'kick-mcq',
        '--dataset',
        MMLU,
        '--limit',
        '1',
        '--too-long',
        'skip',
        '--baseline',
        LM,
        '--bootstrap-resamples',
        '200',
        '--json',
        '--results',
        results,
      ],
      { timeoutMs: 600_000 },
    );
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as {
      metric: {
        values: Record<string, { value: number }>;
        details: {
          comparison: { delta: number; low: number; high: number; disagreements: unknown[]; resamples: number };
        };
      };
      dataset: { provider: string; size: number };
    };
    expect(r.dataset).toMatchObject({ provider: 'mmlu', size: 57 });
    expect(r.metric.values['subject/abstract_algebra']).toBeDefined();
    expect(r.metric.values['category/STEM']).toBeDefined();
    expect(r.metric.details.comparison).toMatchObject({ delta: 0, low: 0, high: 0, disagreements: [], resamples: 200 });
    expect(readdirSync(results)).toHaveLength(1);
  });
});
