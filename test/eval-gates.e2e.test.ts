/**
 * Issue 19 items 5 and 6 as a user runs them: several metrics in one eval (scoped flags, one result
 * per metric sharing a run id), and --gate on eval and sweep: exit 0 when every gate passes, 3 when
 * one fails (after the results are written, naming the gate, the value and the sweep point), 2 on
 * bad syntax or an unknown figure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAS_SHARED, SHARED, runMc, tempDir, warnSkip } from './helpers/cli.js';

const LM = join(SHARED, 'models/tiny-stdlib-lm');
const CORPUS = join(SHARED, 'data/stdlib-text/valid.jsonl');
const MNIST = join(SHARED, 'models/mnist-cnn');
const MNIST_MINI = join(SHARED, 'data/mnist-test-mini');
const describeShared = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) warnSkip('the multi-metric and --gate tests');

interface Result {
  run?: string;
  metric: {
    metric: string;
    values: Record<string, { value: number }>;
    params: Record<string, unknown>;
    baselineValues?: Record<string, { value: number }>;
  };
  baseline?: { sha256: string };
}
const resultsIn = (dir: string): Result[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Result);

describeShared('several metrics in one eval', () => {
  it('bpc and perplexity on the LM loaded once equal two single runs; a shared flag feeds both, --bpc.stride bpc alone', async () => {
    const common = ['--dataset', CORPUS, '--limit', '3', '--batch-size', '2', '--device', 'cpu'];
    const results = tempDir();
    const both = await runMc(
      [
        'eval',
        LM,
        '--metric',
        'bpc',
        '--metric',
        'perplexity',
        ...common,
        '--block-size',
        '64',
        '--seqlen',
        '64',
        '--bpc.stride',
        '32',
        '--json',
        '--results',
        results,
      ],
      { timeoutMs: 300_000 },
    );
    expect(both.stderr).not.toMatch(/Error/);
    expect(both.code).toBe(0);
    const printed = JSON.parse(both.stdout) as Result[];
    expect(printed.map((r) => r.metric.metric)).toEqual(['bpc', 'perplexity']);
    expect(printed[0].metric.params).toMatchObject({ 'block-size': 64, stride: 32, 'batch-size': 2 });
    expect(printed[1].metric.params).toMatchObject({ seqlen: 64, mode: 'classic', 'batch-size': 2 });
    const written = resultsIn(results);
    expect(written).toHaveLength(2);
    expect(new Set(written.map((r) => r.run)).size).toBe(1);
    expect(written[0].run).toMatch(/^[0-9a-f-]{36}$/);

    const single = async (metric: string, extra: string[]) => {
      const r = await runMc(['eval', LM, '--metric', metric, ...common, ...extra, '--json', '--results', tempDir()], {
        timeoutMs: 300_000,
      });
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as Result;
    };
    expect((await single('bpc', ['--block-size', '64', '--stride', '32'])).metric.values.bpc.value).toBe(
      printed[0].metric.values.bpc.value,
    );
    expect((await single('perplexity', ['--seqlen', '64'])).metric.values.perplexity.value).toBe(
      printed[1].metric.values.perplexity.value,
    );
  });
});

describeShared('--gate on eval', () => {
  const evalMnist = (args: string[], results = tempDir()) =>
    runMc(['eval', MNIST, '--metric', 'accuracy', '--dataset', MNIST_MINI, '--results', results, ...args]);

  it('exit 0 when every gate passes, each reported', async () => {
    const r = await evalMnist(['--gate', 'accuracy.top1>=0.9', '--gate', 'accuracy.top5 == 1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('gate accuracy.top1 >= 0.9: 1 pass');
    expect(r.stdout).toContain('gate accuracy.top5 == 1: 1 pass');
  });

  it('exit 3 when one fails, after the result is written, naming every failed gate and its value', async () => {
    const results = tempDir();
    const r = await evalMnist(
      ['--gate', 'accuracy.top1<0.5', '--gate', 'accuracy.top5>=0.9', '--gate', 'accuracy.top5<0.5'],
      results,
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'Error: 2 of 3 gates failed: accuracy.top1 < 0.5 (accuracy.top1 = 1); accuracy.top5 < 0.5 (accuracy.top5 = 1)',
    );
    expect(r.stderr).not.toMatch(/bug|at .*\.js/);
    expect(resultsIn(results)).toHaveLength(1);
  });

  it('a .delta gate runs the metric on --baseline too and keeps its values; 0 against itself', async () => {
    const results = tempDir();
    const r = await evalMnist(
      ['--baseline', MNIST, '--gate', 'accuracy.delta>=0', '--gate', 'accuracy.top5.delta==0'],
      results,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('accuracy: running on the baseline');
    const [written] = resultsIn(results);
    expect(written.metric.baselineValues?.top1.value).toBe(written.metric.values.top1.value);
    expect(written.baseline?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    [['--gate', 'accuracy.top1=>0.9'], /--gate "accuracy\.top1=>0\.9" is not <figure> <op> <number>/],
    [['--gate', 'acuracy.top1>0.9'], /acuracy is not a metric of this run \(did you mean accuracy\?\)/],
    [['--gate', 'accuracy.delta<0.01'], /a \.delta figure needs --baseline/],
  ])('exit 2 before any work on %j, no result written', async (args, message) => {
    const results = tempDir();
    const r = await evalMnist(args, results);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(results)).toEqual([]);
  });

  it('an unknown value name: exit 2 with did-you-mean and the figures', async () => {
    const r = await evalMnist(['--gate', 'accuracy.top2>0.9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'no figure accuracy.top2 (did you mean accuracy.top1?) (hint: figures: accuracy.top1, accuracy.top5)',
    );
  });
});

describeShared('--gate on sweep', () => {
  it('checks every point against the dense input evaluated once; exit 3 names the failing point', async () => {
    const dir = tempDir();
    const sweep = (gate: string) =>
      runMc([
        'sweep',
        MNIST,
        '--method',
        'prune',
        '--sweep',
        '0.1,0.9',
        '--metric',
        'accuracy',
        '--dataset',
        MNIST_MINI,
        '--out',
        join(dir, gate.length.toString()),
        '--results',
        join(dir, `r${gate.length}`),
        '--probes',
        '0',
        '--gate',
        gate,
      ]);
    const failing = await sweep('accuracy.delta>=-0.1');
    expect(failing.code).toBe(3);
    expect(failing.stdout).toMatch(/gate accuracy\.delta >= -0\.1 at point sparsity=0\.1: 0 pass/);
    expect(failing.stderr).toMatch(
      /Error: 1 of 2 gates failed: accuracy\.delta >= -0\.1 at point sparsity=0\.9 \(accuracy\.delta = -0\.\d+\)/,
    );
    const passing = await sweep('accuracy.top5>=0');
    expect(passing.code).toBe(0);
  });
});
