import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePluginSource } from './source.js';

const cwd = mkdtempSync(join(tmpdir(), 'mc-source-'));
mkdirSync(join(cwd, 'mc-plugin-x'));
writeFileSync(join(cwd, 'mc-plugin-x', 'package.json'), '{}');
mkdirSync(join(cwd, 'empty'));
writeFileSync(join(cwd, 'mc-plugin-x-1.0.0.tgz'), '');
writeFileSync(join(cwd, 'notes.txt'), '');

function refusal(input: string): { code: string; message: string; hint?: string } {
  try {
    parsePluginSource(input, cwd);
  } catch (e) {
    return e as { code: string; message: string; hint?: string };
  }
  throw new Error(`${input} was accepted`);
}

describe('parsePluginSource', () => {
  it.each([
    ['./mc-plugin-x-1.0.0.tgz', 'tarball', 'mc-plugin-x-1.0.0.tgz'],
    ['mc-plugin-x-1.0.0.tgz', 'tarball', 'mc-plugin-x-1.0.0.tgz'],
    [`file:${join(cwd, 'mc-plugin-x-1.0.0.tgz')}`, 'tarball', 'mc-plugin-x-1.0.0.tgz'],
    ['file:./mc-plugin-x-1.0.0.tgz', 'tarball', 'mc-plugin-x-1.0.0.tgz'],
    ['./mc-plugin-x', 'folder', 'mc-plugin-x'],
    ['./mc-plugin-x/', 'folder', 'mc-plugin-x'],
    ['file:mc-plugin-x', 'folder', 'mc-plugin-x'],
    [join(cwd, 'mc-plugin-x'), 'folder', 'mc-plugin-x'],
  ])('%s is a local %s', (input, kind, rel) => {
    expect(parsePluginSource(input, cwd)).toEqual({ kind, input, path: join(cwd, rel) });
  });

  it('reads ~/ as the home folder', () => {
    expect(refusal('~/surely-not-here-mc.tgz').message).toBe('~/surely-not-here-mc.tgz: no such file');
    expect(refusal('~/surely-not-here-mc.tgz').code).toBe('E_FILE_NOT_FOUND');
    expect(homedir()).toBeTruthy();
  });

  it.each([
    ['mc-plugin-x', 'mc-plugin-x', 'latest'],
    ['mc-plugin-x@1.2.0', 'mc-plugin-x', '1.2.0'],
    ['mc-plugin-x@^1.2.0', 'mc-plugin-x', '^1.2.0'],
    ['mc-plugin-x@next', 'mc-plugin-x', 'next'],
    ['@acme/mc-plugin-x', '@acme/mc-plugin-x', 'latest'],
    ['@acme/mc-plugin-x@2', '@acme/mc-plugin-x', '2'],
  ])('%s is a registry package', (input, name, range) => {
    expect(parsePluginSource(input, cwd)).toEqual({ kind: 'registry', input, name, range });
  });

  it('a bare name is the registry package even where a folder of that name is here (as npm reads it)', () => {
    expect(parsePluginSource('mc-plugin-x', cwd).kind).toBe('registry');
  });

  it.each([
    'github:acme/mc-plugin-x',
    'git+https://example.com/acme/mc-plugin-x.git',
    'https://example.com/mc-plugin-x-1.0.0.tgz',
  ])('%s is handed to npm as a URL', (input) => {
    expect(parsePluginSource(input, cwd)).toEqual({ kind: 'url', input, url: input });
  });

  it.each([
    [
      'acme/mc-plugin-x',
      /^"acme\/mc-plugin-x" is neither a package name nor a path$/,
      /github:acme\/mc-plugin-x.*\.\/acme\/mc-plugin-x/,
    ],
    ['./missing.tgz', /^\.\/missing\.tgz: no such file$/, /without \.\//],
    ['./missing', /^\.\/missing: no such file or folder$/, /without \.\//],
    ['./empty', /^\.\/empty has no package\.json/, /package\.json/],
    ['./notes.txt', /neither a folder nor a tarball/, /npm pack/],
    ['Not A Name', /is not a package name \(mc-plugin-x/, /mc plugins search/],
    ['', /^no plugin given$/, /package name/],
  ])('%j is refused in one line', (input, message, hint) => {
    const e = refusal(input);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
    expect(e.hint).toMatch(hint);
  });
});
