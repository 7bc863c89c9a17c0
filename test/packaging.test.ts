/**
 * mc as a product you install (issue 18): every publishable package packs cleanly, as `npm pack`
 * lays it out, and the versions stay in step (lerna fixed mode plus scripts/sync-versions.mjs).
 * The packs are checked from `npm pack --dry-run --json`, so what is asserted is what npm would publish.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, relative } from 'node:path';
import { CORE_ROOT, CORE_VERSION } from '@mc-kit/core';
import { BUILT, REPO } from './helpers/cli.js';

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  engines?: Record<string, string>;
  repository?: { type: string; url: string; directory: string };
  files?: string[];
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  oclif?: { hooks?: Record<string, string>; commands?: string; plugins?: string[] };
}

const read = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const WORKSPACES = ['packages', 'plugins', 'templates'].flatMap((group) =>
  readdirSync(join(REPO, group))
    .filter((n) => existsSync(join(REPO, group, n, 'package.json')))
    .map((n) => `${group}/${n}`),
);
const PUBLISHED = WORKSPACES.filter((dir) => !read<Manifest>(join(REPO, dir, 'package.json')).private);
const LERNA_VERSION = read<{ version: string }>(join(REPO, 'lerna.json')).version;

const { synced } = (await import(join(REPO, 'scripts', 'sync-versions.mjs'))) as {
  synced: (pkg: Manifest, version: string, isRoot: boolean) => { pkg: Manifest; changes: string[] };
};

function packList(dir: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: join(REPO, dir),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path).sort();
}

/** Bare module names the package's compiled JavaScript imports (node builtins left out). */
function importedPackages(distDir: string): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'templates') walk(path); // the CLI's templates are copied out, never imported
      } else if (path.endsWith('.js')) {
        for (const m of readFileSync(path, 'utf8').matchAll(
          /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g,
        )) {
          const spec = m[1];
          if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
          names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        }
      }
    }
  };
  walk(distDir);
  return names;
}

const describeBuilt = BUILT ? describe : describe.skip;
if (!BUILT) console.warn('SKIPPED packaging checks: run npm run build first');

describeBuilt('every publishable package packs cleanly', () => {
  it('the publishable packages are core, the queue, the CLI and the seven first-party plugins; the templates stay private', () => {
    expect(PUBLISHED.map((d) => read<Manifest>(join(REPO, d, 'package.json')).name).sort()).toEqual([
      '@mc-kit/cli',
      '@mc-kit/core',
      '@mc-kit/plugin-hyper',
      '@mc-kit/plugin-latency',
      '@mc-kit/plugin-llm-kick',
      '@mc-kit/plugin-lm',
      '@mc-kit/plugin-prune',
      '@mc-kit/plugin-quant',
      '@mc-kit/plugin-vision',
      '@mc-kit/queue',
    ]);
  });

  it.each(PUBLISHED)(
    '%s: metadata, and a tarball with what the manifest names and nothing of the workspace',
    (dir) => {
      const pkg = read<Manifest>(join(REPO, dir, 'package.json'));
      expect(pkg.license).toBe('MIT');
      expect(pkg.engines?.node).toBe('>=20');
      expect(pkg.repository).toMatchObject({
        type: 'git',
        url: expect.stringMatching(/^git\+https:\/\//),
        directory: dir,
      });
      expect(pkg.files).toEqual(expect.arrayContaining(['dist']));
      expect(pkg.exports?.['./package.json']).toBe('./package.json');
      // A published manifest can name nothing that only exists in this checkout.
      for (const field of ['dependencies', 'peerDependencies'] as const) {
        for (const [name, spec] of Object.entries(pkg[field] ?? {}))
          expect(`${name}@${spec}`).not.toMatch(/@(file|link|workspace|portal):/);
      }

      const files = packList(dir);
      expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
      expect(readFileSync(join(REPO, dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(REPO, 'LICENSE'), 'utf8'));
      const outside = files.filter((f) => !/^(LICENSE|README\.md|package\.json|dist\/.*|bin\/.*)$/.test(f));
      expect(outside).toEqual([]);
      // No sources, tests, build info or source maps that point at files left out of the tarball.
      const strays = files.filter(
        (f) => /\.test\.|\.fixture\.|\.tsbuildinfo$|(^|\/)src\//.test(f) && !f.startsWith('dist/templates/'),
      );
      expect(strays).toEqual([]);
      const map = files.find((f) => f.endsWith('.js.map') && !f.startsWith('dist/templates/'));
      if (map)
        expect(read<{ sourcesContent?: unknown[] }>(join(REPO, dir, map)).sourcesContent?.length).toBeGreaterThan(0);

      // Every entry point the manifest names is in the tarball.
      const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {}), ...Object.values(pkg.oclif?.hooks ?? {})];
      for (const value of Object.values(pkg.exports ?? {}))
        targets.push(...(typeof value === 'string' ? [value] : Object.values(value)));
      for (const target of targets.filter((t): t is string => Boolean(t)))
        expect(files).toContain(posix.normalize(target));

      // What the compiled code imports is declared, so an install from the registry resolves it.
      const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
      expect([...importedPackages(join(REPO, dir, 'dist'))].filter((n) => !declared.has(n))).toEqual([]);
    },
    60_000,
  );

  it('the CLI carries the mc bin, its commands and the three templates, and depends on every first-party plugin it loads', () => {
    const pkg = read<Manifest>(join(REPO, 'packages/cli/package.json'));
    expect(pkg.bin).toEqual({ mc: './bin/run.js' });
    expect(statSync(join(REPO, 'packages/cli/bin/run.js')).mode & 0o111).not.toBe(0);
    const files = packList('packages/cli');
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/commands/compress.js',
        'dist/commands/generate.js',
        'dist/commands/plugins/install.js',
        'dist/commands/plugins/uninstall.js',
        'dist/commands/plugins/update.js',
        'dist/hooks/init.js',
      ]),
    );
    for (const kind of ['compressor', 'metric', 'dataset'])
      expect(files).toEqual(
        expect.arrayContaining([
          `dist/templates/${kind}/package.json`,
          `dist/templates/${kind}/gitignore`,
          `dist/templates/${kind}/npmrc`,
        ]),
      );
    const firstParty = (pkg.oclif?.plugins ?? []).filter((p) => p.startsWith('@mc-kit/'));
    expect(firstParty.sort()).toEqual(
      PUBLISHED.filter((d) => d.startsWith('plugins/'))
        .map((d) => read<Manifest>(join(REPO, d, 'package.json')).name)
        .sort(),
    );
    for (const name of firstParty) expect(pkg.dependencies?.[name]).toBe(LERNA_VERSION);
  });
});

describe('versions stay in step', () => {
  it("every package has lerna.json's version, pins @mc-kit packages to it, and peers on ^it", () => {
    for (const dir of WORKSPACES) {
      const pkg = read<Manifest>(join(REPO, dir, 'package.json'));
      expect(`${dir} ${pkg.version}`).toBe(`${dir} ${LERNA_VERSION}`);
      expect(synced(pkg, LERNA_VERSION, false).changes).toEqual([]);
    }
    expect(read<Manifest>(join(REPO, 'package.json')).version).toBe(LERNA_VERSION);
    expect(read<{ command: { version: { exact: boolean } } }>(join(REPO, 'lerna.json')).command.version.exact).toBe(
      true,
    );
  });

  it('core reports the version in its package.json, and the folder it runs from', () => {
    expect(CORE_VERSION).toBe(read<Manifest>(join(REPO, 'packages/core/package.json')).version);
    expect(relative(REPO, CORE_ROOT)).toBe(join('packages', 'core'));
    expect(dirname(CORE_ROOT)).toBe(join(REPO, 'packages'));
  });

  it('after lerna bumps to 0.2.0, sync-versions moves the peer ranges lerna leaves behind', () => {
    const bumped: Manifest = {
      name: 'mc-plugin-x',
      version: '0.2.0',
      dependencies: { '@mc-kit/core': '0.2.0', picomatch: '^4.0.2' },
      peerDependencies: { '@mc-kit/core': '^0.1.0' },
      devDependencies: { '@mc-kit/core': '^0.2.0', typescript: '~5.9.3' },
    };
    const { pkg, changes } = synced(bumped, '0.2.0', false);
    expect(changes).toEqual([
      'devDependencies.@mc-kit/core: ^0.2.0 -> 0.2.0',
      'peerDependencies.@mc-kit/core: ^0.1.0 -> ^0.2.0',
    ]);
    expect(pkg.peerDependencies).toEqual({ '@mc-kit/core': '^0.2.0' });
    expect(pkg.dependencies).toEqual({ '@mc-kit/core': '0.2.0', picomatch: '^4.0.2' });
    expect(pkg.devDependencies).toEqual({ '@mc-kit/core': '0.2.0', typescript: '~5.9.3' });
    expect(bumped.peerDependencies).toEqual({ '@mc-kit/core': '^0.1.0' });
  });
});
