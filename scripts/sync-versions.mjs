#!/usr/bin/env node
// Keeps every package of the repository in step with lerna.json's version (fixed mode: one version
// for core, the CLI, the first-party plugins and the templates). `lerna version` bumps the versions
// and the exact @mc-kit/* pins (lerna.json: exact); it leaves peer ranges alone, so this script runs as
// the root `version` lifecycle script (after the bump, before lerna's commit) and sets
//   - every peerDependencies["@mc-kit/*"] to ^VERSION (a plugin built with core X.Y.Z loads in X.Y.*),
//   - every dependencies/devDependencies["@mc-kit/*"] to VERSION exactly,
//   - the root package.json's version.
// `node scripts/sync-versions.mjs --check` changes nothing and exits 1 naming what is out of step.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCOPE = '@mc-kit/';

/** package.json paths of the root and every workspace (packages/*, plugins/*, templates/*). */
export function manifestPaths(root = ROOT) {
  const paths = [join(root, 'package.json')];
  for (const group of ['packages', 'plugins', 'templates']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort())
      if (existsSync(join(dir, name, 'package.json'))) paths.push(join(dir, name, 'package.json'));
  }
  return paths;
}

/** The manifest as it should be at `version`, and what differs (["peerDependencies.@mc-kit/core: ^0.1.0 -> ^0.2.0", ...]). */
export function synced(pkg, version, isRoot) {
  const out = structuredClone(pkg);
  const changes = [];
  const set = (path, obj, key, want) => {
    if (obj[key] !== want) changes.push(`${path}: ${obj[key]} -> ${want}`);
    obj[key] = want;
  };
  set('version', out, 'version', version);
  if (isRoot) return { pkg: out, changes };
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
    for (const name of Object.keys(out[field] ?? {})) {
      if (!name.startsWith(SCOPE)) continue;
      set(`${field}.${name}`, out[field], name, field === 'peerDependencies' ? `^${version}` : version);
    }
  }
  return { pkg: out, changes };
}

const LEVELS = ['patch', 'minor', 'major'];

/** The level of the step from one version to the next: 0.1.0 -> 0.2.0 is 'minor'. */
export function releaseLevel(from, to) {
  const [a, b] = [from, to].map((v) => v.split(/[.+-]/).slice(0, 3).map(Number));
  return a[0] !== b[0] ? 'major' : a[1] !== b[1] ? 'minor' : 'patch';
}

/**
 * After lerna's bump: the release the API reports ask for since the last tag (scripts/api-report.mjs,
 * README "Public API"), against the one being made. A warning, not a refusal: the reports judge names
 * and signatures, not behaviour. Silent where there is nothing to compare (no tag, no report at it).
 */
export async function apiAdvice(version) {
  const { bumpSince, releaseBump } = await import('./api-report.mjs');
  let since;
  try {
    since = bumpSince();
  } catch {
    return undefined;
  }
  const previous = since.ref.replace(/^v/, '');
  if (!/^\d+\.\d+\.\d+/.test(previous)) return undefined;
  const wanted = releaseBump(since.bump, previous);
  const made = releaseLevel(previous, version);
  if (LEVELS.indexOf(made) >= LEVELS.indexOf(wanted)) return undefined;
  return `sync-versions: the API reports since ${since.ref} ask for a ${wanted} release (${since.description}); ${previous} -> ${version} is a ${made} one`;
}

async function main() {
  const check = process.argv.includes('--check');
  const version = JSON.parse(readFileSync(join(ROOT, 'lerna.json'), 'utf8')).version;
  const written = [];
  const problems = [];
  for (const path of manifestPaths()) {
    const text = readFileSync(path, 'utf8');
    const { pkg, changes } = synced(JSON.parse(text), version, path === join(ROOT, 'package.json'));
    if (changes.length === 0) continue;
    const rel = relative(ROOT, path);
    if (check) problems.push(...changes.map((c) => `${rel}: ${c}`));
    else {
      writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
      written.push(rel);
    }
  }
  if (check) {
    if (problems.length) {
      console.error(
        `out of step with lerna.json ${version} (run node scripts/sync-versions.mjs):\n  ${problems.join('\n  ')}`,
      );
      process.exit(1);
    }
    return;
  }
  if (written.length) {
    // The lock records each workspace's ranges: npm ci refuses a lock whose ranges differ.
    execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    written.push('package-lock.json');
    console.log(`sync-versions: ${version} in ${written.join(', ')}`);
    // lerna commits the files it changed itself; these join that commit.
    if (process.env.npm_lifecycle_event === 'version')
      execFileSync('git', ['add', '--', ...written], { cwd: ROOT, stdio: 'inherit' });
  }
  const advice = await apiAdvice(version);
  if (advice) console.warn(advice);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
