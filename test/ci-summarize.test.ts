/**
 * .ci/summarize.mjs, the last line of CI: one `tests:` line summed over the jest projects' JSON results,
 * and an exit status that no failure, missing project or empty run can turn green.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../.ci/summarize.mjs');
const dir = mkdtempSync(join(tmpdir(), 'mc-ci-summary-'));

/** A jest --json result with these counts, written to a file. */
function result(name: string, counts: Record<string, number | boolean>): string {
  const file = join(dir, `${name}.json`);
  const base = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, success: true };
  writeFileSync(file, JSON.stringify({ ...base, numRuntimeErrorTestSuites: 0, ...counts }));
  return file;
}

function summarize(...args: string[]): { code: number | null; out: string } {
  const run = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { code: run.status, out: run.stdout };
}

describe('.ci/summarize.mjs', () => {
  it('sums the projects into one line, skipped and todo tests counted as skipped', () => {
    const unit = result('unit', { numPassedTests: 700, numPendingTests: 2, numTodoTests: 1 });
    const e2e = result('e2e', { numPassedTests: 150, numPendingTests: 4 });
    expect(summarize(`unit=${unit}`, `e2e=${e2e}`)).toEqual({
      code: 0,
      out: 'tests: 850 passed, 0 failed, 7 skipped\n',
    });
  });

  it('fails on a failed test or a suite that did not run, in any project', () => {
    const unit = result('unit-ok', { numPassedTests: 10 });
    const failing = result('e2e-fail', { numPassedTests: 5, numFailedTests: 2, success: false });
    expect(summarize(`unit=${unit}`, `e2e=${failing}`)).toEqual({ code: 1, out: 'tests: 15 passed, 2 failed\n' });
    const broken = result('e2e-broken', { numPassedTests: 5, numRuntimeErrorTestSuites: 1, success: false });
    expect(summarize(`unit=${unit}`, `e2e=${broken}`)).toEqual({ code: 1, out: 'tests: 15 passed, 1 failed\n' });
  });

  it('counts a project that wrote no result as a failure, and names it', () => {
    const unit = result('unit-alone', { numPassedTests: 10 });
    const run = summarize(`unit=${unit}`, `e2e=${join(dir, 'missing.json')}`);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^tests: 10 passed, 1 failed \(no jest result from e2e: .*\)\n$/);
  });

  it('names the five slowest tests above the tests line, slowest first, the tests line still last', () => {
    const suite = (name: string, ms: number[]) => ({
      name: join(process.cwd(), name),
      assertionResults: ms.map((duration) => ({ title: `t${duration}`, duration, status: 'passed' })),
    });
    const unit = result('unit-timed', { numPassedTests: 3 });
    writeFileSync(
      unit,
      JSON.stringify({
        ...JSON.parse(readFileSync(unit, 'utf8')),
        testResults: [suite('a.test.ts', [900, 30_000, 5])],
      }),
    );
    const e2e = result('e2e-timed', { numPassedTests: 4 });
    writeFileSync(
      e2e,
      JSON.stringify({
        ...JSON.parse(readFileSync(e2e, 'utf8')),
        testResults: [suite('b.e2e.test.ts', [116_000, 1_500, 42_400, 7])],
      }),
    );
    const run = summarize(`unit=${unit}`, `e2e=${e2e}`);
    expect(run.code).toBe(0);
    expect(run.out.split('\n')).toEqual([
      'ci: slow test 116.0 s  e2e b.e2e.test.ts  t116000',
      'ci: slow test 42.4 s  e2e b.e2e.test.ts  t42400',
      'ci: slow test 30.0 s  unit a.test.ts  t30000',
      'ci: slow test 1.5 s  e2e b.e2e.test.ts  t1500',
      'ci: slow test 0.9 s  unit a.test.ts  t900',
      'tests: 7 passed, 0 failed',
      '',
    ]);
  });

  it('fails a run in which no test ran', () => {
    expect(summarize(`unit=${result('empty', {})}`)).toEqual({ code: 1, out: 'tests: 0 passed, 0 failed\n' });
  });
});
