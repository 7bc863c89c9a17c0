/**
 * Ctrl-C: the RunContext's AbortSignal stops long work between batches; mc exits 130 with one line
 * and writes no result.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bigramModelDir } from '../plugins/lm/src/metrics/bigram.fixture.js';
import { BIN, filesIn, REPO, tempDir } from './helpers/cli.js';

it('SIGINT during a long eval stops it with exit 130 and no result file', async () => {
  const model = bigramModelDir({ context: 16 });
  const dir = tempDir();
  const corpus = join(dir, 'long.jsonl');
  // ~200k one-token windows: a minute of work, so the interrupt lands mid-run.
  writeFileSync(corpus, `${JSON.stringify({ content: 'abcab\ncbac'.repeat(20000) })}\n`);
  const results = join(dir, 'results');
  const child = spawn(
    process.execPath,
    [
      BIN,
      'eval',
      model,
      '--metric',
      'bpc',
      '--dataset',
      corpus,
      '--block-size',
      '8',
      '--stride',
      '1',
      '--results',
      results,
    ],
    {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  // Interrupt once the work has begun (the device line comes with the first session).
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (stderr.includes('device:')) {
        clearInterval(poll);
        setTimeout(resolve, 500);
      }
    }, 50);
  });
  const started = performance.now();
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(130);
  expect(performance.now() - started).toBeLessThan(10_000);
  expect(stderr).toMatch(/interrupted/);
  expect(stderr).toMatch(/Error: interrupted/);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(filesIn(results)).toEqual([]);
});
