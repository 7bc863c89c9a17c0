import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localTarballName, PluginDataDir } from './data-dir.js';

const fresh = () => new PluginDataDir(join(mkdtempSync(join(tmpdir(), 'mc-data-')), 'data'), '@mc-kit/cli');

describe('PluginDataDir', () => {
  it("reads a missing folder as oclif would create it, and keeps oclif's plugin list format", () => {
    const data = fresh();
    expect(data.read()).toEqual({ name: '@mc-kit/cli', private: true, oclif: { schema: 1, plugins: [] } });
    data.addEntry({ name: 'mc-plugin-a', type: 'user', tag: 'latest' });
    data.addEntry({ name: 'mc-plugin-b', type: 'user', url: '/src/b' });
    data.addEntry({ name: 'mc-plugin-a', type: 'user', tag: '^2.0.0' });
    expect(data.entries()).toEqual([
      { name: 'mc-plugin-b', type: 'user', url: '/src/b' },
      { name: 'mc-plugin-a', type: 'user', tag: '^2.0.0' },
    ]);
  });

  it('points @mc-kit/core, for every package in the tree, at the running core', () => {
    const data = fresh();
    const pkg = data.withCore(
      { ...data.read(), dependencies: { 'mc-plugin-a': '^1.0.0', '@mc-kit/core': 'file:/old/core' } },
      '/opt/mc/core',
    );
    expect(pkg.dependencies).toEqual({ 'mc-plugin-a': '^1.0.0', '@mc-kit/core': 'file:/opt/mc/core' });
    expect(pkg.overrides).toEqual({ '@mc-kit/core': '$@mc-kit/core' });
  });

  it('reads the plain-string entries older oclif versions wrote', () => {
    const data = fresh();
    data.write({ oclif: { plugins: ['mc-plugin-old'] } });
    expect(data.entries()).toEqual([{ name: 'mc-plugin-old', type: 'user', tag: 'latest' }]);
  });

  it('removes an entry with its dependency, and puts package.json and the lock back from a snapshot', () => {
    const data = fresh();
    data.write({ ...data.read(), dependencies: { 'mc-plugin-a': '^1.0.0', '@mc-kit/core': 'file:/c' } });
    data.addEntry({ name: 'mc-plugin-a', type: 'user', tag: 'latest' });
    const snapshot = data.snapshot();
    const before = readFileSync(data.packageJson, 'utf8');
    data.removeEntry('mc-plugin-a');
    expect(data.read().dependencies).toEqual({ '@mc-kit/core': 'file:/c' });
    expect(data.entries()).toEqual([]);
    writeFileSync(join(data.dir, 'package-lock.json'), '{}');
    data.restore(snapshot);
    expect(readFileSync(data.packageJson, 'utf8')).toBe(before);
    expect(existsSync(join(data.dir, 'package-lock.json'))).toBe(false); // there was none
  });

  it('names a local tarball as npm pack does', () => {
    expect(localTarballName('mc-plugin-x', '1.0.0')).toBe('mc-plugin-x-1.0.0.tgz');
    expect(localTarballName('@acme/mc-plugin-x', '0.2.0-beta.1')).toBe('acme-mc-plugin-x-0.2.0-beta.1.tgz');
  });
});
