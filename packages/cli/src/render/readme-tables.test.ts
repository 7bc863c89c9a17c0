/**
 * README.md's tables of methods, metrics, datasets and flags are `mc list --params --format md`'s
 * output (issue 21: params declared once, never a hand-kept copy). The registry is built here as
 * `mc` builds it: every first-party plugin the CLI bundles (package.json `oclif.plugins`), its
 * `mc:register` hook run from source, added in loadPlugins' order (by package name).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { listRegistry, Registry } from '@mc-kit/core';
import { renderListMarkdown } from './list-markdown.js';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const BEGIN = '<!-- mc list --params --format md: begin -->';
const END = '<!-- mc list --params --format md: end -->';
const REGENERATE = 'npm run build && node scripts/readme-tables.mjs';

interface PackageJson {
  name: string;
  version: string;
  oclif?: { plugins?: string[]; hooks?: Record<string, string> };
}
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as PackageJson;

async function firstPartyRegistry(): Promise<Registry> {
  const cli = readJson(join(ROOT, 'packages/cli/package.json'));
  const names = (cli.oclif?.plugins ?? []).filter((n) => n.startsWith('@mc-kit/')).sort((a, b) => a.localeCompare(b));
  const registry = new Registry();
  for (const name of names) {
    const dir = realpathSync(join(ROOT, 'node_modules', name));
    const pkg = readJson(join(dir, 'package.json'));
    const hook = pkg.oclif?.hooks?.['mc:register'];
    if (!hook) throw new Error(`${name} declares no mc:register hook`);
    // the hook points into dist/; unit tests run the source it is built from
    const source = join(dir, hook.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
    const register = ((await import(source)) as { default: (o: object) => Promise<unknown> }).default;
    registry.addPlugin({ name: pkg.name, version: pkg.version }, await register({}));
  }
  return registry;
}

describe('README.md tables', () => {
  it('are exactly what `mc list --params --format md` prints', async () => {
    const registry = await firstPartyRegistry();
    const expected = renderListMarkdown(listRegistry(registry), true);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const [start, end] = [readme.indexOf(BEGIN), readme.indexOf(END)];
    if (start < 0 || end < start)
      throw new Error(`README.md lost its markers ${BEGIN} … ${END}; restore them, then run: ${REGENERATE}`);
    const block = readme.slice(start + BEGIN.length, end).trim();
    if (block !== expected) {
      const a = block.split('\n');
      const b = expected.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      throw new Error(
        `README.md's tables differ from \`mc list --params --format md\` (first at block line ${line + 1}:\n  README: ${a[line]}\n  mc:     ${b[line]})\nregenerate them with: ${REGENERATE}`,
      );
    }
    // every method and metric of the first-party plugins is there, with its flags
    for (const item of listRegistry(registry).items) {
      expect(block).toContain(`\`${item.id}\``);
      for (const p of item.params) expect(block).toContain(`\`--${p.name}\``);
    }
  });
});

describe('renderListMarkdown', () => {
  it('escapes pipes and folds line breaks so a description cannot break its table', () => {
    const md = renderListMarkdown(
      {
        kind: 'list',
        conflicts: [],
        items: [
          {
            kind: 'method',
            id: 'm',
            summary: 'a|b',
            plugin: 'p',
            version: '1.0.0',
            datasetKinds: [],
            params: [{ name: 'x', type: 'enum', description: 'one\ntwo', detail: 'one of a|b, default a' }],
          },
        ],
      },
      true,
    );
    expect(md).toContain('| `m` | `p` | a\\|b |');
    expect(md).toContain('| `--x` | one of a\\|b, default a | one two |');
    expect(md).not.toContain('1.0.0');
  });
});
