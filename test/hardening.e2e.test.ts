/**
 * Issue 17 through bin/mc as a user runs it: a wrong headline number refused, checks before work
 * (nothing written when a flag, a sweep point, --out or --results is bad), no hang on a FIFO or a
 * device, one writer per --out, unique result files under parallel runs, and SIGTERM/SIGHUP handled
 * like SIGINT. The SIGKILL test of folder outputs is in kill.e2e.test.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bigramModelDir } from '../plugins/lm/src/metrics/bigram.fixture.js';
import { BIN, EXAMPLES, filesIn, HAS_SHARED, lines, REPO, runMc, SHARED, tempDir, warnSkip } from './helpers/cli.js';

const MNIST = join(EXAMPLES, 'mnist-cnn');
const MNIST_DATA = join(EXAMPLES, 'mnist-test');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const STACK = /\n\s+at /;
const itShared = HAS_SHARED ? it : it.skip;
if (!HAS_SHARED) warnSkip('the shared-LM hardening tests');

/** One line on stderr, exit 2, no stack, and the folder exactly as it was. */
async function refused(args: string[], message: RegExp, dir: string, timeoutMs = 60_000): Promise<void> {
  const before = filesIn(dir);
  const started = performance.now();
  const run = await runMc(args, { cwd: dir, timeoutMs });
  expect(performance.now() - started).toBeLessThan(timeoutMs);
  expect(run.code).toBe(2);
  expect(lines(run.stderr)).toEqual([expect.stringMatching(message)]);
  expect(run.stderr).not.toMatch(STACK);
  expect(filesIn(dir)).toEqual(before);
}

describe('a headline number whose denominator did not count what its numerator summed', () => {
  itShared('bpc with --stride 128 past --block-size 64 (printed 1.078 instead of about 2.1) is refused', async () => {
    const dir = tempDir();
    await refused(
      [
        'eval',
        LM,
        '--metric',
        'bpc',
        '--dataset',
        join(SHARED, 'data/stdlib-text/valid.jsonl'),
        '--limit',
        '2',
        '--block-size',
        '64',
        '--stride',
        '128',
        '--results',
        join(dir, 'r'),
      ],
      /--stride 128 must be at most --block-size 64/,
      dir,
    );
  });
});

describe('check everything, then act: nothing is written when an input is bad', () => {
  const cases: [string, (d: string) => string[], RegExp, ((d: string) => void)?][] = [
    [
      '--out d.onnx that is a folder',
      (d) => ['compress', MNIST, '--method', 'int8', '--out', join(d, 'd.onnx'), '--results', join(d, 'r')],
      /d\.onnx exists and is a folder/,
      (d) => mkdirSync(join(d, 'd.onnx')),
    ],
    [
      "--out ''",
      (d) => ['compress', MNIST, '--method', 'int8', '--out', '', '--results', join(d, 'r')],
      /--out is empty/,
    ],
    [
      '--results /proc/x (a recursive mkdir loop that never returned)',
      (d) => ['compress', MNIST, '--method', 'int8', '--out', join(d, 'm.onnx'), '--results', '/proc/x'],
      /cannot write results to --results \/proc\/x/,
    ],
    [
      '--results that is a file',
      (d) => ['compress', MNIST, '--method', 'int8', '--out', join(d, 'm.onnx'), '--results', join(d, 'file')],
      /is not a folder/,
      (d) => writeFileSync(join(d, 'file'), 'x'),
    ],
    [
      'eval --results into /proc',
      () => ['eval', MNIST, '--metric', 'accuracy', '--dataset', MNIST_DATA, '--limit', '5', '--results', '/proc/x/y'],
      /cannot write results/,
    ],
    [
      'a FIFO as the model',
      (d) => ['compress', join(d, 'model.onnx'), '--method', 'int8', '--out', join(d, 'm.onnx')],
      /is a FIFO \(named pipe\), not a regular file/,
      (d) => execFileSync('mkfifo', [join(d, 'model.onnx')]),
    ],
    ['a character device as the model', () => ['inspect', '/dev/zero'], /\/dev\/zero is a character device/],
    [
      'a FIFO as the dataset',
      (d) => ['eval', MNIST, '--metric', 'accuracy', '--dataset', join(d, 'data.jsonl'), '--results', join(d, 'r')],
      /is a FIFO/,
      (d) => execFileSync('mkfifo', [join(d, 'data.jsonl')]),
    ],
    [
      '--sparsity with --pattern',
      (d) => [
        'compress',
        MNIST,
        '--method',
        'prune',
        '--sparsity',
        '0.3',
        '--pattern',
        '2:4',
        '--out',
        join(d, 'm.onnx'),
      ],
      /--sparsity and --pattern cannot be given together/,
    ],
    [
      '--ratio with magnitude pruning',
      (d) => ['compress', MNIST, '--method', 'prune', '--ratio', '0.3', '--out', join(d, 'm.onnx')],
      /--ratio applies only with --algo channel/,
    ],
    [
      'a config.json that is null',
      (d) => [
        'eval',
        join(d, 'lm'),
        '--metric',
        'bpc',
        '--dataset',
        join(d, 'c.jsonl'),
        '--block-size',
        '4',
        '--stride',
        '2',
        '--results',
        join(d, 'r'),
      ],
      /config\.json in .*: must be a JSON object \(got null\)/,
      (d) => {
        const lm = bigramModelDir();
        execFileSync('cp', ['-r', lm, join(d, 'lm')]);
        writeFileSync(join(d, 'lm', 'config.json'), 'null');
        writeFileSync(join(d, 'c.jsonl'), '{"content": "abcabc"}\n');
      },
    ],
    [
      'a malformed meta.json',
      (d) => ['eval', MNIST, '--metric', 'accuracy', '--dataset', join(d, 'set'), '--results', join(d, 'r')],
      /set\/meta\.json is not valid JSON/,
      (d) => {
        mkdirSync(join(d, 'set'));
        writeFileSync(join(d, 'set', 'meta.json'), '{ "kind": "image-class", ');
      },
    ],
    [
      'a sweep point out of range (--sweep 0.1,1.5)',
      (d) => [
        'sweep',
        MNIST,
        '--method',
        'prune',
        '--algo',
        'channel',
        '--sweep',
        '0.1,1.5',
        '--metric',
        'accuracy',
        '--dataset',
        MNIST_DATA,
        '--limit',
        '5',
        '--out',
        join(d, 'sw'),
        '--results',
        join(d, 'r'),
      ],
      /sweep point ratio=1\.5: --method prune: --ratio must be between 0 and 1 \(got 1\.5\)/,
    ],
    [
      'a sweep recipe with 1.7',
      (d) => [
        'sweep',
        MNIST,
        '--method',
        'prune',
        '--sweep',
        join(d, 'recipe.json'),
        '--metric',
        'accuracy',
        '--dataset',
        MNIST_DATA,
        '--limit',
        '5',
        '--out',
        join(d, 'sw'),
        '--results',
        join(d, 'r'),
      ],
      /sweep point sparsity=1\.7: --method prune: --sparsity must be between 0 and 0\.95/,
      (d) => writeFileSync(join(d, 'recipe.json'), '[{"sparsity": 0.1}, {"sparsity": 1.7}]'),
    ],
    [
      'a sweep with --results into /proc',
      (d) => [
        'sweep',
        MNIST,
        '--method',
        'prune',
        '--algo',
        'channel',
        '--sweep',
        '0.1',
        '--metric',
        'accuracy',
        '--dataset',
        MNIST_DATA,
        '--limit',
        '5',
        '--out',
        join(d, 'sw'),
        '--results',
        '/proc/x',
      ],
      /cannot write results/,
    ],
  ];
  it.each(cases.map((c) => [c[0], c] as const))('%s', async (_name, [, args, message, setup]) => {
    const dir = tempDir();
    setup?.(dir);
    await refused(args(dir), message, dir, 30_000);
  });
});

describe('exit 2, not 1, where the input is at fault', () => {
  itShared(
    'a config.json whose context is larger than the position table: gptq names config.json instead of crashing in onnxruntime',
    async () => {
      const dir = tempDir();
      mkdirSync(join(dir, 'lm'));
      for (const f of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json'])
        copyFileSync(join(LM, f), join(dir, 'lm', f));
      const config = JSON.parse(readFileSync(join(LM, 'config.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(dir, 'lm', 'config.json'), JSON.stringify({ ...config, n_positions: 2048, n_ctx: 2048 }));
      const run = await runMc([
        'compress',
        join(dir, 'lm'),
        '--method',
        'gptq',
        '--calib-dataset',
        join(SHARED, 'data/stdlib-text/valid.jsonl'),
        '--calib-samples',
        '2',
        '--calib-seqlen',
        '1024',
        '--out',
        join(dir, 'q'),
        '--results',
        join(dir, 'r'),
      ]);
      expect(run.code).toBe(2);
      // (progress lines and onnxruntime's own log line come first; the error is the last line)
      expect(lines(run.stderr).at(-1)).toMatch(
        /^Error: the model's Gather \/wpe\/Gather has 512 rows and was asked for row 512: the window is longer than the model's position table \(hint: config\.json beside the model gives a context .* larger than 512/,
      );
      expect(run.stderr).not.toMatch(STACK);
      expect(filesIn(dir)).toEqual(['lm']);
    },
  );
});

describe('races', () => {
  itShared('a second run on the same --out exits 2 naming the first, which still completes', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const first = spawn(
      process.execPath,
      [BIN, 'compress', LM, '--method', 'int4', '--out', out, '--results', join(dir, 'r1')],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const closed = new Promise<number | null>((resolve) => first.on('close', resolve));
    // freeze the first run while it holds the lock, so the second surely meets it
    await waitFor(() => existsSync(join(dir, '.out.mc-lock')), 60_000);
    first.kill('SIGSTOP');
    try {
      const second = await runMc(['compress', LM, '--method', 'int4', '--out', out, '--results', join(dir, 'r2')]);
      expect(second.code).toBe(2);
      expect(lines(second.stderr)).toEqual([
        expect.stringMatching(
          new RegExp(`is being written by another mc run \\(pid ${first.pid}, since .*: mc compress .* --out ${out}`),
        ),
      ]);
      expect(filesIn(join(dir, 'r2'))).toEqual([]);
    } finally {
      first.kill('SIGCONT');
    }
    expect(await closed).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    expect(filesIn(dir)).toEqual(['out', 'r1']); // no lock, no staging folder
  });

  it('24 parallel runs into one --results leave 24 result files', async () => {
    const dir = tempDir();
    const model = bigramModelDir({ context: 16 });
    writeFileSync(join(dir, 'c.jsonl'), '{"content": "abcabcab"}\n');
    const runs = await Promise.all(
      Array.from({ length: 24 }, () =>
        runMc(
          [
            'eval',
            model,
            '--metric',
            'perplexity',
            '--dataset',
            join(dir, 'c.jsonl'),
            '--seqlen',
            '4',
            '--results',
            join(dir, 'r'),
          ],
          { timeoutMs: 300_000 },
        ),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual(new Array(24).fill(0));
    const files = readdirSync(join(dir, 'r'));
    expect(files).toHaveLength(24);
    expect(files.every((f) => /^eval-.*\.json$/.test(f))).toBe(true);
  }, 600_000);
});

describe('SIGTERM and SIGHUP stop a run like SIGINT: exit 128 + n, nothing half-written', () => {
  const codes: [NodeJS.Signals, number][] = [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ];
  it.each(codes)('%s during a long eval: exit %i, no result, no temp file', async (signal, code) => {
    const dir = tempDir();
    const model = bigramModelDir({ context: 16 });
    writeFileSync(join(dir, 'long.jsonl'), `${JSON.stringify({ content: 'abcab\ncbac'.repeat(20000) })}\n`);
    const child = spawn(
      process.execPath,
      [
        BIN,
        'eval',
        model,
        '--metric',
        'bpc',
        '--dataset',
        join(dir, 'long.jsonl'),
        '--block-size',
        '8',
        '--stride',
        '1',
        '--results',
        join(dir, 'r'),
      ],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    await waitFor(() => stderr.includes('device:'), 60_000);
    child.kill(signal);
    expect(await closed).toEqual([code, null]);
    expect(lines(stderr).at(-1)).toMatch(/^Error: interrupted/);
    expect(stderr).not.toMatch(STACK);
    expect(filesIn(dir)).toEqual(['long.jsonl']);
  });

  itShared.each(codes)(
    '%s while a folder output is written: exit 0 or %i, the target absent or whole, no temp left',
    async (signal, code) => {
      const dir = tempDir();
      for (const delay of [0, 100, 250, 400]) {
        const out = join(dir, `out-${delay}`);
        const child = spawn(
          process.execPath,
          [BIN, 'compress', LM, '--method', 'int4', '--out', out, '--results', join(dir, 'r')],
          { cwd: REPO, stdio: 'ignore' },
        );
        const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
          child.on('close', (c, s) => resolve([c, s])),
        );
        // from the moment the run holds its output (the lock appears) to past the write
        await waitFor(() => existsSync(join(dir, `.out-${delay}.mc-lock`)), 60_000);
        await new Promise((r) => setTimeout(r, delay));
        child.kill(signal);
        const [exit, killedBy] = await closed;
        expect(killedBy).toBeNull();
        expect([0, code]).toContain(exit);
        if (existsSync(out))
          expect(readdirSync(out).sort()).toEqual([
            'config.json',
            'model.onnx',
            'tokenizer.json',
            'tokenizer_config.json',
          ]);
        expect(filesIn(dir).filter((f) => f.startsWith('.'))).toEqual([]);
        expect(filesIn(join(dir, 'r')).filter((f) => !f.endsWith('.json'))).toEqual([]);
      }
    },
  );
});

async function waitFor(test: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
