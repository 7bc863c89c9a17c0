// Reads jest's --json results, one file per project (`unit=.jest-results.unit.json e2e=...`), and prints the
// one line CI reads, summed over them:
//   tests: N passed, N failed[, N skipped]
// Exit 1 when a test failed, a suite failed to run, a project wrote no result, or no test ran at all.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const args = process.argv.slice(2);
const results = (args.length > 0 ? args : ['.jest-results.json']).map((arg) => {
  const at = arg.indexOf('=');
  return at > 0 ? { project: arg.slice(0, at), file: arg.slice(at + 1) } : { project: 'jest', file: arg };
});

// jest stops a test at 120 s unless the test names its own limit; a test that takes most of that on an idle
// run fails on a busier one, so the slowest are shown where the next run's reader sees them.
const SLOWEST_SHOWN = 5;
const slowest = [];

let passed = 0;
let failed = 0;
let skipped = 0;
let success = true;
const missing = [];
for (const { project, file } of results) {
  if (!existsSync(file)) {
    missing.push(project);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  success &&= r.success;
  for (const suite of r.testResults ?? [])
    for (const t of suite.assertionResults ?? [])
      slowest.push({ ms: t.duration ?? 0, where: `${project} ${relative(process.cwd(), suite.name)}`, title: t.title });
}
slowest.sort((a, b) => b.ms - a.ms);
for (const t of slowest.slice(0, SLOWEST_SHOWN).filter((t) => t.ms > 0))
  console.log(`ci: slow test ${(t.ms / 1000).toFixed(1)} s  ${t.where}  ${t.title.slice(0, 90)}`);
// a project that wrote no result counts as one failure, so the line never reads as all green
failed += missing.length;
const why = missing.length ? ` (no jest result from ${missing.join(', ')}: the build, the install or jest failed)` : '';
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${why}`);
process.exit(failed > 0 || passed === 0 || !success ? 1 : 0);
