/**
 * `npm run api:check` on the built d.ts (issue 21: "adding an export fails the check until the report
 * is updated"). A copy of @mc-kit/core's package.json and dist/ in a temp folder stands for a change
 * to core: the unchanged copy passes against the checked-in reports; with one export added and one
 * signature changed it fails with one line naming both, the bump, and the command that updates the
 * report; after that command (pointed at a copy of the reports) the check passes again.
 */
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { REPO, tempDir } from './helpers/cli.js';
import { captureRun } from './helpers/process.js';

const CORE = join(REPO, 'packages', 'core');
const REPORTS = join(CORE, 'api');
const BUILT_DTS = existsSync(join(CORE, 'dist', 'index.d.ts'));
if (!BUILT_DTS) console.warn('SKIPPED api:check end-to-end tests: build first (packages/core/dist is absent)');

const apiReport = (args: string[]) =>
  captureRun(process.execPath, [join(REPO, 'scripts', 'api-report.mjs'), ...args], { cwd: REPO, timeoutMs: 120_000 });

(BUILT_DTS ? describe : describe.skip)('api:check against the checked-in report', () => {
  let dir: string;
  let pkg: string;

  beforeAll(() => {
    dir = tempDir('mc-api-report-');
    pkg = join(dir, 'core');
    mkdirSync(pkg);
    cpSync(join(CORE, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(CORE, 'dist'), join(pkg, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
    // the d.ts import tsyringe, onnx-proto and onnxruntime-node's types, as in the repository
    symlinkSync(join(REPO, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes on the unchanged build', async () => {
    const run = await apiReport(['--check', '--package', pkg, '--reports', REPORTS]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/matches packages\/core\/api/);
  });

  it('fails on an added export and a changed signature, naming them, until the report is updated', async () => {
    appendFileSync(join(pkg, 'dist', 'index.d.ts'), '\nexport declare function addedForTheTest(x: number): string;\n');
    const version = join(pkg, 'dist', 'version.d.ts');
    const before = readFileSync(version, 'utf8');
    const after = before.replace('isCompatibleCore(pluginCore: string', 'isCompatibleCore(pluginCore: number');
    expect(after).not.toBe(before);
    writeFileSync(version, after);

    const failed = await apiReport(['--check', '--package', pkg, '--reports', REPORTS]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    const lines = failed.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('added: addedForTheTest');
    expect(lines[0]).toContain('changed: isCompatibleCore');
    expect(lines[0]).toContain('a major change');
    expect(lines[0]).toContain('npm run api:update');
    expect(lines[0]).toContain('packages/core/api/core.api.md');
    expect(lines[0]).not.toContain('core-testing.api.md'); // the testing entry did not change

    const reports = join(dir, 'reports');
    cpSync(REPORTS, reports, { recursive: true });
    const updated = await apiReport(['--update', '--package', pkg, '--reports', reports]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('added: addedForTheTest; changed: isCompatibleCore; a major change');
    expect(readFileSync(join(reports, 'core.api.md'), 'utf8')).toContain(
      'export function addedForTheTest(x: number): string;',
    );

    const passes = await apiReport(['--check', '--package', pkg, '--reports', reports]);
    expect(passes.stderr).toBe('');
    expect(passes.code).toBe(0);
  });
});
