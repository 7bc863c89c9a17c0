#!/usr/bin/env node
// The API report of @mc-kit/core: every name its entry points export, with its declaration, as
// API Extractor (@microsoft/api-extractor) writes it from the built d.ts. The reports are checked
// in under packages/core/api/, one per entry point (core.api.md for '.', core-testing.api.md for
// './testing'), so that a change to the public API shows in review as a diff of that file.
//
//   node scripts/api-report.mjs --check    (npm run api:check)   exit 1 with one line naming the changed
//                                                                names when the build differs from the reports
//   node scripts/api-report.mjs --update   (npm run api:update)  rewrite the reports from the build
//   node scripts/api-report.mjs --bump [REF]  (npm run api:bump) the semver bump the reports imply since REF
//                                                                (default: the latest tag): removed or changed
//                                                                names -> major, added -> minor, none -> patch
//
// --package DIR (default packages/core: a folder with package.json and the built dist/) and --reports
// DIR (default packages/core/api) point it elsewhere; the test of this check uses them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const UPDATE_COMMAND = 'npm run api:update';
const DEFAULT_PACKAGE = join(ROOT, 'packages', 'core');
const DEFAULT_REPORTS = join(DEFAULT_PACKAGE, 'api');

/**
 * The release that carries an API change of `bump` from `version`. Before 1.0 the plugins' peer range
 * ^0.Y.Z accepts 0.Y.* only, so a breaking change moves the minor and an addition the patch (as
 * conventional-changelog's preMajor does); from 1.0 on the bump is the release.
 */
export function releaseBump(bump, version) {
  return /^0\./.test(version) ? { major: 'minor', minor: 'patch', patch: 'patch' }[bump] : bump;
}

/** The package's entry points: the report's file name (without .api.md) and the d.ts it is made from. */
export const ENTRIES = Object.freeze([
  { entry: '.', report: 'core', dts: 'dist/index.d.ts' },
  // Its signatures use the main entry's types (OnnxModel, HostTensor, ...): not a forgotten export here.
  { entry: './testing', report: 'core-testing', dts: 'dist/testing/index.d.ts', forgottenExports: false },
]);

/**
 * Runs API Extractor over one entry point's d.ts and returns the report's text. Only the report is
 * made (no doc model, no d.ts rollup), in a temp folder; nothing in the package changes.
 */
export async function generateReport(packageDir, { report, dts, forgottenExports = true }) {
  const { Extractor, ExtractorConfig } = (await import('@microsoft/api-extractor')).default;
  const entryPoint = join(packageDir, dts);
  if (!existsSync(entryPoint))
    fail(`${relative(process.cwd(), entryPoint) || entryPoint} does not exist: build first (npm run build)`, 2);
  const out = mkdtempSync(join(tmpdir(), 'mc-api-report-'));
  try {
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: packageDir,
        newlineKind: 'lf',
        mainEntryPointFilePath: entryPoint,
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              target: 'ES2022',
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              lib: ['ES2022'],
              types: ['node'],
              strict: true,
              skipLibCheck: true,
            },
            files: [entryPoint],
          },
        },
        apiReport: { enabled: true, reportFileName: report, reportFolder: out, reportTempFolder: out },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: 'error' } },
          extractorMessageReporting: {
            default: { logLevel: 'error', addToApiReportFile: true },
            // mc does not tag names @public/@beta: everything exported is public.
            'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
            // A type that a public signature uses but the entry does not export: a note in the report.
            'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: forgottenExports },
            'ae-internal-missing-underscore': { logLevel: 'none', addToApiReportFile: false },
            'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
          },
          // Our doc comments are not TSDoc; their wording is not API.
          tsdocMessageReporting: { default: { logLevel: 'none', addToApiReportFile: false } },
        },
      },
      configObjectFullPath: join(packageDir, 'api-extractor.json'),
      packageJsonFullPath: join(packageDir, 'package.json'),
    });
    const errors = [];
    const result = Extractor.invoke(config, {
      localBuild: true,
      messageCallback(message) {
        if (message.logLevel === 'error') errors.push(message.formatMessageWithLocation(packageDir));
        message.handled = true;
      },
    });
    if (!result.succeeded || errors.length)
      fail(`API Extractor could not read ${relative(ROOT, entryPoint)}: ${errors[0] ?? 'see --verbose'}`, 1);
    // "(undocumented)" marks a missing doc comment: documenting a name is not an API change.
    return readFileSync(join(out, `${report}.api.md`), 'utf8')
      .replace(/^[ \t]*\/\/ \(undocumented\)\n/gm, '')
      .replace(/^([ \t]*\/\/ @\w+) \(undocumented\)$/gm, '$1');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * A report's exported names, each with its declaration printed without comments (API Extractor's
 * `(undocumented)` and warning notes are not API). Overloads and merged declarations join under one name.
 */
export function namesOf(reportText) {
  const start = reportText.indexOf('```ts');
  const end = reportText.lastIndexOf('```');
  const code = start < 0 || end <= start ? '' : reportText.slice(start + 5, end);
  const file = ts.createSourceFile('report.d.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const printer = ts.createPrinter({ removeComments: true });
  const print = (node) => printer.printNode(ts.EmitHint.Unspecified, node, file);
  const names = new Map();
  const add = (name, text) => names.set(name, names.has(name) ? `${names.get(name)}\n${text}` : text);
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) continue;
    if (ts.isExportDeclaration(statement)) {
      const from = statement.moduleSpecifier ? ` from ${statement.moduleSpecifier.getText(file)}` : '';
      if (statement.exportClause && ts.isNamedExports(statement.exportClause))
        for (const e of statement.exportClause.elements) add(e.name.text, `export { ${e.getText(file)} }${from}`);
      else add('*', print(statement));
    } else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) add(d.name.getText(file), print(statement));
    } else if (statement.name) add(statement.name.getText(file), print(statement));
    else add('?', print(statement));
  }
  return names;
}

/** What changed between two reports' names, and the semver bump it implies. */
export function compareNames(before, after) {
  const added = [...after.keys()].filter((n) => !before.has(n)).sort();
  const removed = [...before.keys()].filter((n) => !after.has(n)).sort();
  const changed = [...after.keys()].filter((n) => before.has(n) && before.get(n) !== after.get(n)).sort();
  const bump = removed.length || changed.length ? 'major' : added.length ? 'minor' : 'patch';
  return { added, removed, changed, bump };
}

/** Names per entry, prefixed with the entry for the non-main ones: `testing:probeFeeds`. */
function merge(perEntry) {
  const all = { added: [], removed: [], changed: [] };
  for (const [entry, diff] of perEntry) {
    const prefix = entry === '.' ? '' : `${entry.replace(/^\.\//, '')}:`;
    for (const kind of Object.keys(all)) all[kind].push(...diff[kind].map((n) => prefix + n));
  }
  const bump = all.removed.length || all.changed.length ? 'major' : all.added.length ? 'minor' : 'patch';
  return { ...all, bump };
}

function describe({ added, removed, changed }) {
  const list = (names) =>
    names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : names.join(', ');
  return [
    added.length ? `added: ${list(added)}` : '',
    removed.length ? `removed: ${list(removed)}` : '',
    changed.length ? `changed: ${list(changed)}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** A refusal: one line for stderr and the exit code (1: the API differs from the report, 2: a wrong setup). */
export class ApiReportError extends Error {
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

function fail(line, code) {
  throw new ApiReportError(line, code);
}

function option(args, name, otherwise) {
  const i = args.indexOf(name);
  return i < 0 ? otherwise : args[i + 1];
}

async function check(packageDir, reportsDir, update) {
  const perEntry = [];
  const stale = [];
  for (const e of ENTRIES) {
    const path = join(reportsDir, `${e.report}.api.md`);
    const built = await generateReport(packageDir, e);
    const recorded = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (built === recorded) continue;
    perEntry.push([e.entry, compareNames(namesOf(recorded), namesOf(built))]);
    stale.push(relative(ROOT, path));
    if (update) {
      mkdirSync(reportsDir, { recursive: true });
      writeFileSync(path, built);
    }
  }
  const diff = merge(perEntry);
  const what = describe(diff) || 'no name changed, only notes or order';
  if (update) {
    console.log(
      stale.length
        ? `api-report: wrote ${stale.join(', ')} (${what}; a ${diff.bump} change)`
        : 'api-report: the reports are up to date',
    );
    return;
  }
  if (stale.length)
    fail(
      `the public API of @mc-kit/core differs from ${stale.join(', ')} (${what}; a ${diff.bump} change): review it, then run ${UPDATE_COMMAND} and commit the report`,
      1,
    );
  console.log(`api-report: the public API of @mc-kit/core matches ${relative(ROOT, reportsDir)}`);
}

/** The bump the checked-in reports imply since `ref` (a git revision; default the latest tag). */
export function bumpSince(reportsDir = DEFAULT_REPORTS, ref = undefined) {
  const git = (...args) =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (!ref) {
    try {
      ref = git('describe', '--tags', '--abbrev=0').trim();
    } catch {
      fail('no release tag to compare with: pass one (npm run api:bump -- v0.1.0)', 2);
    }
  }
  const perEntry = [];
  for (const e of ENTRIES) {
    const path = join(reportsDir, `${e.report}.api.md`);
    let before;
    try {
      before = git('show', `${ref}:${relative(ROOT, path)}`);
    } catch {
      fail(`${ref} has no ${relative(ROOT, path)}: the bump since then cannot be judged from the reports`, 2);
    }
    perEntry.push([e.entry, compareNames(namesOf(before), namesOf(readFileSync(path, 'utf8')))]);
  }
  const diff = merge(perEntry);
  return { ref, ...diff, description: describe(diff) || 'no name added, removed or changed' };
}

async function main() {
  const args = process.argv.slice(2);
  const packageDir = resolve(option(args, '--package', DEFAULT_PACKAGE));
  const reportsDir = resolve(option(args, '--reports', DEFAULT_REPORTS));
  if (args.includes('--bump')) {
    const next = args[args.indexOf('--bump') + 1];
    const b = bumpSince(reportsDir, next && !next.startsWith('--') ? next : undefined);
    const version = JSON.parse(readFileSync(join(ROOT, 'lerna.json'), 'utf8')).version;
    const release = releaseBump(b.bump, version);
    const note = release === b.bump ? '' : `; at ${version} a ${b.bump} change is a ${release} release`;
    console.log(`${b.bump}: since ${b.ref}, ${b.description}${note} (npx lerna version ${release})`);
    return;
  }
  await check(packageDir, reportsDir, args.includes('--update'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  try {
    await main();
  } catch (e) {
    if (!(e instanceof ApiReportError)) throw e;
    process.stderr.write(`api-report: ${e.message}\n`);
    process.exitCode = e.exitCode;
  }
}
