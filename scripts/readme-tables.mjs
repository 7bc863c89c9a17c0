#!/usr/bin/env node
// Rewrites README.md's tables of methods, metrics, datasets and their flags from the registry:
// the output of `mc list --params --format md` between the markers below (run `npm run build` first).
// packages/cli/src/render/readme-tables.test.ts fails when they drift. Plugins you installed yourself
// are kept out: mc runs with empty XDG folders, so it sees the first-party plugins only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BEGIN = '<!-- mc list --params --format md: begin -->';
const END = '<!-- mc list --params --format md: end -->';
const readme = new URL('../README.md', import.meta.url);
const home = mkdtempSync(join(tmpdir(), 'mc-readme-'));
try {
  const env = { ...process.env, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home };
  const md = execFileSync(
    process.execPath,
    [new URL('../bin/mc', import.meta.url).pathname, 'list', '--params', '--format', 'md'],
    {
      env,
      encoding: 'utf8',
    },
  ).trimEnd();
  const text = readFileSync(readme, 'utf8');
  const [start, end] = [text.indexOf(BEGIN), text.indexOf(END)];
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${BEGIN} and ${END}`);
  writeFileSync(readme, `${text.slice(0, start + BEGIN.length)}\n${md}\n${text.slice(end)}`);
  process.stdout.write('README.md: tables rewritten from mc list --params --format md\n');
} finally {
  rmSync(home, { recursive: true, force: true });
}
