/**
 * Issue 19 items 3 and 4 as a user runs them: `mc eval --metric kld --baseline DENSE` (0 against
 * itself, int4 above 0, the compressed NLLs equal to bpc's in the same eval, a gate on kld.mean) and
 * `mc eval --metric latency` with and without --baseline, no --dataset needed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, HAS_SHARED, REPO, SHARED, runMc, tempDir, warnSkip } from './helpers/cli.js';

const LM = join(SHARED, 'models/tiny-stdlib-lm');
const CORPUS = join(SHARED, 'data/stdlib-text/valid.jsonl');
const MNIST = join(SHARED, 'models/mnist-cnn');
const describeShared = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) warnSkip('the kld and latency end-to-end tests');

interface Result {
  metric: {
    metric: string;
    values: Record<string, { value: number; stderr?: number }>;
    sums: Record<string, number>;
    details?: Record<string, unknown>;
  };
  baseline?: { sha256: string };
}
/** --json prints one result, or an array of them for several metrics */
const printed = (stdout: string): Result[] => [JSON.parse(stdout) as Result | Result[]].flat();
const resultsIn = (dir: string): Result[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Result);
const windows = ['--dataset', CORPUS, '--limit', '2', '--block-size', '64', '--stride', '64', '--device', 'cpu'];

describeShared('mc eval --metric kld', () => {
  it('is exactly 0 with agreement 1 for the LM against itself, and a passing gate exits 0', async () => {
    const r = await runMc(
      [
        'eval',
        LM,
        '--metric',
        'kld',
        '--baseline',
        LM,
        ...windows,
        '--gate',
        'kld.mean<=0',
        '--json',
        '--results',
        tempDir(),
      ],
      { timeoutMs: 300_000 },
    );
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const [res] = printed(r.stdout);
    expect(res.metric.values.mean.value).toBe(0);
    expect(res.metric.values.max.value).toBe(0);
    expect(res.metric.values.same_top.value).toBe(1);
    expect(res.metric.details?.head).toBe('sliced');
    expect(res.baseline?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("is above 0 for int4 (its MatMulNBits head sliced per chunk), gives bpc's NLLs, and a failing gate exits 3", async () => {
    const dir = tempDir();
    const int4 = join(dir, 'lm-int4');
    expect((await runMc(['compress', LM, '--method', 'int4', '--out', int4], { timeoutMs: 300_000 })).code).toBe(0);
    const r = await runMc(
      [
        'eval',
        int4,
        '--metric',
        'kld',
        '--metric',
        'bpc',
        '--baseline',
        LM,
        ...windows,
        '--gate',
        'kld.mean<0.0000001',
        '--json',
        '--results',
        join(dir, 'results'),
      ],
      { timeoutMs: 300_000 },
    );
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/kld\.mean < 1e-7 \(kld\.mean = 0\.00\d+\)/); // --json: the gate's error as JSON on stdout
    const written = resultsIn(join(dir, 'results'));
    const [kld, bpc] = ['kld', 'bpc'].map((m) => written.find((w) => w.metric.metric === m)!);
    expect(kld.metric.details?.head).toBe('sliced');
    expect(kld.metric.values.mean.value).toBeGreaterThan(1e-4);
    expect(kld.metric.values.same_top.value).toBeLessThan(1);
    expect(kld.metric.values.same_top.value).toBeGreaterThan(0.5);
    expect(kld.metric.sums.count).toBe(bpc.metric.sums.scored_tokens);
    expect(kld.metric.sums.sum_nll).toBeCloseTo(bpc.metric.sums.total_nats, 2);
  });

  it('SIGKILLed halfway under --resume and resumed, gives the figures and sums of an uninterrupted run bit for bit', async () => {
    const args = [
      'eval',
      LM,
      '--metric',
      'kld',
      '--baseline',
      LM,
      '--dataset',
      CORPUS,
      '--limit',
      '3',
      '--block-size',
      '64',
      '--stride',
      '32',
      '--device',
      'cpu',
    ];
    const clean = tempDir();
    expect((await runMc([...args, '--results', clean], { timeoutMs: 300_000 })).code).toBe(0);
    const want = resultsIn(clean)[0];
    const windows = want.metric.sums.windows;
    expect(windows).toBeGreaterThan(100);

    const results = tempDir();
    const part = () =>
      existsSync(join(results, '.cache'))
        ? readdirSync(join(results, '.cache'))
            .filter((k) => !k.startsWith('.'))
            .map((k) => join(results, '.cache', k, 'valid.jsonl'))
            .filter(existsSync)
        : [];
    const lines = () => Math.max(0, ...part().map((f) => readFileSync(f, 'utf8').split('\n').length - 1));
    const child = spawn(process.execPath, [BIN, ...args, '--resume', '--results', results], {
      cwd: REPO,
      stdio: 'ignore',
    });
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline && lines() < windows / 2) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await closed;
    expect(lines()).toBeLessThan(windows); // killed before the end

    const resumed = await runMc([...args, '--resume', '--results', results], { timeoutMs: 300_000 });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/kld: resuming valid from \d+ records of an earlier run/);
    const got = resultsIn(results)[0];
    expect(got.metric.sums).toEqual(want.metric.sums);
    expect(got.metric.values).toEqual(want.metric.values);
  }, 600_000);

  it('refuses to run without --baseline: one line, exit 2', async () => {
    const r = await runMc(['eval', LM, '--metric', 'kld', ...windows]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/--baseline is required/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describeShared('mc eval --metric latency', () => {
  it('times mnist-cnn on graph-shaped inputs with no --dataset, and gives ratios to a --baseline', async () => {
    const r = await runMc(
      [
        'eval',
        MNIST,
        '--metric',
        'latency',
        '--runs',
        '5',
        '--warmup',
        '1',
        '--baseline',
        MNIST,
        '--device',
        'cpu',
        '--json',
        '--results',
        tempDir(),
      ],
      { timeoutMs: 300_000 },
    );
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const [res] = printed(r.stdout);
    expect(Object.keys(res.metric.values)).toEqual([
      'p50_ms',
      'p90_ms',
      'start_ms',
      'peak_rss_mib',
      'base_rss_mib',
      'p50_ratio',
      'p90_ratio',
      'start_ratio',
      'peak_rss_ratio',
    ]);
    expect(res.metric.values.p50_ms.value).toBeGreaterThan(0);
    expect(res.metric.values.p50_ratio.value).toBeGreaterThan(0);
    expect(res.metric.sums.runs).toBe(5);
  });
});
