import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import {
  checkCore,
  checkHookFilesPresent,
  checkIsMcPlugin,
  coreRange,
  readTarballManifest,
  viewRegistryManifest,
  type PluginPackage,
} from './manifest.js';

const plugin = (over: Partial<PluginPackage> = {}): PluginPackage => ({
  name: 'mc-plugin-x',
  version: '2.0.0',
  oclif: { hooks: { 'mc:register': './dist/register.js' } },
  ...over,
});

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message} (hint: ${(e as { hint?: string }).hint})`;
  }
  return 'accepted';
}

describe("checkCore: can this mc's core serve the plugin", () => {
  it.each([
    ['^0.1.0', '0.1.0', 'accepted'],
    ['^0.1.0', '0.1.7', 'accepted'],
    ['0.1.0', '0.1.0', 'accepted'],
    ['>=0.1.0 <0.3.0', '0.2.4', 'accepted'],
    ['^1.2.0', '1.9.0', 'accepted'],
    [
      '^0.2.0',
      '0.1.0',
      "E_PLUGIN_INCOMPATIBLE: mc-plugin-x@2.0.0 needs @mc-kit/core ^0.2.0, and this mc's core is 0.1.0 (hint: install a version of mc-plugin-x built for core 0.1, or use an mc whose core is ^0.2.0)",
    ],
    [
      '^1.0.0',
      '0.1.0',
      "E_PLUGIN_INCOMPATIBLE: mc-plugin-x@2.0.0 needs @mc-kit/core ^1.0.0, and this mc's core is 0.1.0 (hint: install a version of mc-plugin-x built for core 0.1, or use an mc whose core is ^1.0.0)",
    ],
    [
      '^1.0.0',
      '2.3.1',
      "E_PLUGIN_INCOMPATIBLE: mc-plugin-x@2.0.0 needs @mc-kit/core ^1.0.0, and this mc's core is 2.3.1 (hint: install a version of mc-plugin-x built for core 2, or use an mc whose core is ^1.0.0)",
    ],
    [
      '^0.1.5',
      '0.1.0',
      "E_PLUGIN_INCOMPATIBLE: mc-plugin-x@2.0.0 needs @mc-kit/core ^0.1.5, and this mc's core is 0.1.0 (hint: install a version of mc-plugin-x built for core 0.1, or use an mc whose core is ^0.1.5)",
    ],
  ])('peer %s with core %s: %s', (range, core, expected) => {
    expect(message(() => checkCore(plugin({ peerDependencies: { '@mc-kit/core': range } }), core))).toBe(expected);
  });

  it('reads a plain dependency on core when there is no peer, and lets through what states no usable range', () => {
    expect(coreRange(plugin({ dependencies: { '@mc-kit/core': '^1.0.0' } }))).toBe('^1.0.0');
    expect(
      coreRange(plugin({ dependencies: { '@mc-kit/core': '^1.0.0' }, peerDependencies: { '@mc-kit/core': '^0.1.0' } })),
    ).toBe('^0.1.0');
    expect(message(() => checkCore(plugin({ dependencies: { '@mc-kit/core': '^1.0.0' } }), '0.1.0'))).toMatch(
      /^E_PLUGIN_INCOMPATIBLE: .* needs @mc-kit\/core \^1\.0\.0/,
    );
    expect(message(() => checkCore(plugin(), '0.1.0'))).toBe('accepted');
    expect(message(() => checkCore(plugin({ peerDependencies: { '@mc-kit/core': 'file:../core' } }), '0.1.0'))).toBe(
      'accepted',
    );
  });
});

describe('is it an mc plugin', () => {
  it('needs an oclif mc:register hook', () => {
    expect(message(() => checkIsMcPlugin(plugin()))).toBe('accepted');
    expect(message(() => checkIsMcPlugin(plugin({ name: 'left-pad', version: '1.3.0', oclif: undefined })))).toBe(
      'E_PLUGIN_INSTALL: left-pad@1.3.0 is not an mc plugin: its package.json names no oclif hook mc:register (hint: an mc plugin declares "oclif": { "hooks": { "mc:register": "./dist/register.js" } } (mc generate makes one))',
    );
  });

  it('needs its compiled hook on disk (nothing builds it with scripts off)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-hook-'));
    expect(message(() => checkHookFilesPresent(plugin(), dir))).toMatch(
      /^E_PLUGIN_INSTALL: mc-plugin-x@2\.0\.0 lacks its mc:register hook \.\/dist\/register\.js \(hint: build the plugin first \(npm run build\)/,
    );
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'register.js'), 'export default async () => ({})');
    expect(message(() => checkHookFilesPresent(plugin(), dir))).toBe('accepted');
  });
});

describe('readTarballManifest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-tgz-'));

  it('reads package.json from the top folder of the tarball, whatever that folder is called', async () => {
    for (const top of ['package', 'mc-plugin-x']) {
      mkdirSync(join(dir, top, 'dist'), { recursive: true });
      writeFileSync(
        join(dir, top, 'package.json'),
        JSON.stringify(plugin({ peerDependencies: { '@mc-kit/core': '^0.1.0' } })),
      );
      writeFileSync(join(dir, top, 'dist', 'package.json'), '{"name":"not-this-one","version":"0.0.0"}');
      await tar.c({ gzip: true, file: join(dir, `${top}.tgz`), cwd: dir }, [top]);
      await expect(readTarballManifest(join(dir, `${top}.tgz`), `${top}.tgz`)).resolves.toMatchObject({
        name: 'mc-plugin-x',
        version: '2.0.0',
        peerDependencies: { '@mc-kit/core': '^0.1.0' },
      });
    }
  });

  it('refuses a file that is no tarball, or a tarball with no package.json, in one line', async () => {
    writeFileSync(join(dir, 'junk.tgz'), 'not gzip at all');
    await expect(readTarballManifest(join(dir, 'junk.tgz'), './junk.tgz')).rejects.toMatchObject({
      code: 'E_BAD_PARAM',
      message: expect.stringMatching(/^\.\/junk\.tgz (is not a readable tarball|holds no package\.json)/),
    });
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'empty', 'README.md'), 'hi');
    await tar.c({ gzip: true, file: join(dir, 'empty.tgz'), cwd: dir }, ['empty']);
    await expect(readTarballManifest(join(dir, 'empty.tgz'), './empty.tgz')).rejects.toMatchObject({
      message: './empty.tgz holds no package.json: not an npm package tarball',
    });
  });
});

describe('viewRegistryManifest', () => {
  const npm = (view: { code: number; stdout: string; stderr: string }) =>
    (async (args: string[]) =>
      args[0] === 'config' ? { code: 0, stdout: 'http://127.0.0.1:4873/\n', stderr: '' } : view) as Parameters<
      typeof viewRegistryManifest
    >[0];

  it('takes the last of the versions a range matches, as npm install would', async () => {
    const answer = JSON.stringify([
      plugin({ version: '1.0.0' }),
      plugin({ version: '1.1.0', peerDependencies: { '@mc-kit/core': '^0.1.0' } }),
    ]);
    await expect(
      viewRegistryManifest(npm({ code: 0, stdout: answer, stderr: '' }), 'mc-plugin-x', '^1.0.0', '/tmp'),
    ).resolves.toMatchObject({ version: '1.1.0', peerDependencies: { '@mc-kit/core': '^0.1.0' } });
  });

  it('says in one line that a name is not on the registry, naming the registry', async () => {
    const e404 = {
      code: 1,
      stdout: '',
      stderr:
        'npm error code E404\nnpm error 404 Not Found - GET http://127.0.0.1:4873/mc-plugin-x - no such package available\n',
    };
    await expect(viewRegistryManifest(npm(e404), 'mc-plugin-x', 'latest', '/tmp')).rejects.toMatchObject({
      code: 'E_PLUGIN_INSTALL',
      message: 'mc-plugin-x is not on http://127.0.0.1:4873/',
    });
    await expect(
      viewRegistryManifest(npm({ code: 0, stdout: '', stderr: '' }), 'mc-plugin-x', '^9.0.0', '/tmp'),
    ).rejects.toMatchObject({ message: 'no version of mc-plugin-x matches ^9.0.0 on http://127.0.0.1:4873/' });
  });
});
