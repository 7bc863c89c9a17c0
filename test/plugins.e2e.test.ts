/**
 * Community plugins as a user meets them: a compiled plugin under test/fixtures is linked with
 * `mc plugins link`, `mc list` names it, and `mc compress --method` runs it on a real model. A
 * plugin whose hook throws leaves mc working, with one warning line naming it.
 *
 * `mc plugins install` from a folder, a tarball and `file:` (issue 18), with npm pointed at a
 * registry that does not answer: nothing, @mc-kit/core included, may be fetched. Install scripts run
 * only with --allow-scripts (issue 17 item 5).
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_ROOT, CORE_VERSION, OnnxModel } from '@mc-kit/core';
import { EXAMPLES, REPO, lines, runMc, tempDir } from './helpers/cli.js';
import { packFolder } from './helpers/tar.js';

const MODEL = join(EXAMPLES, 'mnist-cnn', 'model.onnx');

/** oclif keeps installed/linked plugins in its data dir: give every test its own. */
function isolatedEnv(): Record<string, string> {
  const home = tempDir('mc-home-');
  return { MC_DATA_DIR: join(home, 'data'), MC_CONFIG_DIR: join(home, 'config'), MC_CACHE_DIR: join(home, 'cache') };
}

/** A copy of a fixture, so linking never writes into the repository. */
function fixtureCopy(name: string): string {
  const dir = join(tempDir('mc-plugin-'), name);
  cpSync(join(REPO, 'test', 'fixtures', name), dir, { recursive: true });
  return dir;
}

describe('community plugins', () => {
  it('a linked plugin is listed with its name and version, and its compressor runs', async () => {
    const env = isolatedEnv();
    const link = await runMc(['plugins', 'link', fixtureCopy('mc-plugin-scale'), '--no-install'], { env });
    expect(link.code).toBe(0);

    const list = await runMc(['list', '--json'], { env });
    expect(list.code).toBe(0);
    const items = (
      JSON.parse(list.stdout) as { items: { kind: string; id: string; plugin: string; version: string }[] }
    ).items;
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'method', id: 'scale', plugin: 'mc-plugin-scale', version: '1.0.0' }),
      ]),
    );
    expect(items).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'method', id: 'int8', plugin: '@mc-kit/plugin-quant' })]),
    );

    const dir = tempDir();
    const out = join(dir, 'scaled.onnx');
    const run = await runMc(
      [
        'compress',
        MODEL,
        '--method',
        'scale',
        '--factor',
        '3',
        '--out',
        out,
        '--results',
        join(dir, 'results'),
        '--json',
      ],
      { env },
    );
    // every weight x3 through ReLUs and a final layer: the logits move far, and mc says so (stderr, even under --json)
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(
        /^warning: large drift from the dense model \(logits: relative error \d+%, top-1 agreement \d+%; large means/,
      ),
    ]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      steps: { method: string; tensors: unknown[] }[];
      versions: { plugins: Record<string, string> };
    };
    expect(result.steps[0].method).toBe('scale');
    expect(result.versions.plugins).toEqual({ 'mc-plugin-scale': '1.0.0' });

    const before = await OnnxModel.load(MODEL);
    const after = await OnnxModel.load(out);
    const w0 = before.getInitializer('head.4.weight')!.readFloat32();
    const w1 = after.getInitializer('head.4.weight')!.readFloat32();
    for (let i = 0; i < w0.length; i += 97) expect(w1[i]).toBe(Math.fround(w0[i] * 3));
    expect(after.getMetadata('mc.method')).toBe('scale');
  });

  it('a plugin whose hook throws is named in one warning and mc keeps working', async () => {
    const env = isolatedEnv();
    expect((await runMc(['plugins', 'link', fixtureCopy('mc-plugin-broken'), '--no-install'], { env })).code).toBe(0);
    const list = await runMc(['list'], { env });
    expect(list.code).toBe(0);
    expect(lines(list.stderr)).toEqual([
      'warning: plugin mc-plugin-broken failed to load and was skipped: database of weights not found (fixture failure)',
    ]);
    expect(list.stdout).toMatch(/int8/);
    expect(list.stdout).toMatch(/accuracy/);

    const dir = tempDir();
    const run = await runMc(
      ['compress', MODEL, '--method', 'int8', '--out', join(dir, 'q.onnx'), '--results', join(dir, 'r')],
      { env },
    );
    expect(run.code).toBe(0);
  });

  it('a dataset of the wrong kind for the metric is refused with one line and exit 2', async () => {
    const env = isolatedEnv();
    expect((await runMc(['plugins', 'link', fixtureCopy('mc-plugin-scale'), '--no-install'], { env })).code).toBe(0);
    const dir = tempDir();
    const text = join(dir, 'corpus.txt');
    copyFileSync(join(REPO, 'README.md'), text);
    const run = await runMc(['eval', MODEL, '--metric', 'accuracy', '--dataset', text], { env, cwd: dir });
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/dataset .*corpus\.txt is of kind text, but metric accuracy scores image-class/);
    expect(readFileSync(text, 'utf8').length).toBeGreaterThan(0);
  });

  it('two plugins claiming one id: the id is refused naming both, everything else works', async () => {
    const env = isolatedEnv();
    const a = fixtureCopy('mc-plugin-scale');
    const bDir = join(tempDir('mc-plugin-'), 'mc-plugin-scale-twin');
    cpSync(a, bDir, { recursive: true });
    const pj = JSON.parse(readFileSync(join(bDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    pj.name = 'mc-plugin-scale-twin';
    (await import('node:fs')).writeFileSync(join(bDir, 'package.json'), JSON.stringify(pj));
    expect((await runMc(['plugins', 'link', a, '--no-install'], { env })).code).toBe(0);
    expect((await runMc(['plugins', 'link', bDir, '--no-install'], { env })).code).toBe(0);
    const dir = tempDir();
    const run = await runMc(['compress', MODEL, '--method', 'scale', '--out', join(dir, 'o.onnx')], { env, cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /method id "scale" is declared by mc-plugin-scale@1\.0\.0 and by mc-plugin-scale-twin@1\.0\.0/,
    );
    const ok = await runMc(['list', '--json'], { env });
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { conflicts: string[] }).conflicts).toHaveLength(2);
  });
});

/** A registry nothing listens on: an install that tried to fetch anything would fail. */
const OFFLINE = { npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0' };

const SCALE_REGISTER = readFileSync(join(REPO, 'test', 'fixtures', 'mc-plugin-scale', 'register.js'), 'utf8');

interface PluginSpec {
  name: string;
  version?: string;
  peer?: string;
  register?: string;
  /** scripts that each leave a marker file named after themselves in `markers` */
  markers?: string;
  hookFile?: string;
}

/** A plugin package folder as its author would have it after `npm run build`. */
function pluginFolder(parent: string, spec: PluginSpec): string {
  const dir = join(parent, spec.name);
  const hook = spec.hookFile ?? 'dist/register.js';
  mkdirSync(join(dir, 'dist'), { recursive: true });
  const mark = (stage: string) =>
    `node -e "require('fs').writeFileSync(require('path').join('${spec.markers}', '${stage}'), '')"`;
  const pkg = {
    name: spec.name,
    version: spec.version ?? '1.0.0',
    description: `test plugin ${spec.name}`,
    type: 'module',
    keywords: ['mc-plugin'],
    files: ['dist'],
    ...(spec.peer ? { peerDependencies: { '@mc-kit/core': spec.peer } } : {}),
    ...(spec.markers
      ? {
          scripts: {
            preinstall: mark('preinstall'),
            install: mark('install'),
            postinstall: mark('postinstall'),
            prepare: mark('prepare'),
          },
        }
      : {}),
    oclif: { hooks: { 'mc:register': `./${hook}` } },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  if (spec.register !== undefined || !spec.hookFile)
    writeFileSync(join(dir, 'dist', 'register.js'), spec.register ?? SCALE_REGISTER);
  return dir;
}

/** What the plugin folder holds (package.json, lock, node_modules, local/), to show nothing changed. */
function dataDirState(env: Record<string, string>): string {
  const dir = env.MC_DATA_DIR;
  if (!existsSync(dir)) return '(none)';
  const pkg = existsSync(join(dir, 'package.json')) ? readFileSync(join(dir, 'package.json'), 'utf8') : '';
  const listing = (sub: string) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).sort().join(',') : '');
  return `${pkg}|${listing('node_modules')}|${listing('local')}`;
}

function installed(env: Record<string, string>): { name: string; type: string }[] {
  return (
    JSON.parse(readFileSync(join(env.MC_DATA_DIR, 'package.json'), 'utf8')) as {
      oclif: { plugins: { name: string; type: string }[] };
    }
  ).oclif.plugins;
}

describe('mc plugins install from disk: folder, tarball, file:', () => {
  it('a tarball, a folder and file: each install, list, run and uninstall, with nothing fetched and @mc-kit/core linked to this mc', async () => {
    const work = tempDir('mc-install-');
    const folder = pluginFolder(work, { name: 'mc-plugin-scale', peer: `^${CORE_VERSION}` });
    const tarball = join(work, 'mc-plugin-scale-1.0.0.tgz');
    writeFileSync(
      tarball,
      packFolder(folder, () => true),
    );

    for (const given of [
      './mc-plugin-scale-1.0.0.tgz',
      './mc-plugin-scale',
      `file:${tarball}`,
      'file:mc-plugin-scale',
    ]) {
      const env: Record<string, string> = { ...isolatedEnv(), ...OFFLINE };
      const install = await runMc(['plugins', 'install', given, '--json'], { env, cwd: work });
      expect([given, install.code, install.stderr]).toEqual([given, 0, '']);
      const report = JSON.parse(install.stdout) as Record<string, unknown>;
      expect(report).toMatchObject({
        kind: 'plugin-install',
        name: 'mc-plugin-scale',
        version: '1.0.0',
        scripts: 'off',
        provides: ['method scale', 'dataset text-lines'],
        core: { version: CORE_VERSION, root: CORE_ROOT },
      });
      expect(report.source).toBe(given.endsWith('.tgz') ? 'tarball' : 'folder');
      // The peer is this mc's own core, as a link: nothing was fetched for it.
      const data = env.MC_DATA_DIR;
      expect(JSON.parse(readFileSync(join(data, 'package.json'), 'utf8')).dependencies['@mc-kit/core']).toBe(
        `file:${CORE_ROOT}`,
      );
      expect(readdirSync(join(data, 'node_modules', '@mc-kit'))).toEqual(['core']);
      expect(readFileSync(join(data, 'node_modules', '@mc-kit', 'core', 'package.json'), 'utf8')).toBe(
        readFileSync(join(CORE_ROOT, 'package.json'), 'utf8'),
      );

      const out = join(work, 'scaled.onnx');
      rmSync(out, { force: true });
      const run = await runMc(
        [
          'compress',
          MODEL,
          '--method',
          'scale',
          '--factor',
          '3',
          '--out',
          out,
          '--results',
          join(work, 'results'),
          '--json',
        ],
        { env },
      );
      // the x3 scale is no compression: mc's drift check says so, and that one line is all of stderr
      expect([given, run.code, lines(run.stderr)]).toEqual([
        given,
        0,
        [expect.stringMatching(/^warning: large drift from the dense model \(logits: relative error \d+%/)],
      ]);

      const un = await runMc(['plugins', 'uninstall', 'mc-plugin-scale'], { env });
      expect([un.code, un.stdout.trim()]).toEqual([0, 'uninstalled mc-plugin-scale']);
      expect(installed(env)).toEqual([]);
      expect(readdirSync(join(data, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['@mc-kit']);
      expect(readdirSync(join(data, 'local'))).toEqual([]);
    }
  }, 120_000);

  it('install scripts run only with --allow-scripts (preinstall, install and postinstall all ran before)', async () => {
    const work = tempDir('mc-scripts-');
    const markers = join(work, 'markers');
    mkdirSync(markers);
    const folder = pluginFolder(work, { name: 'mc-plugin-scripted', markers });
    const tarball = join(work, 'mc-plugin-scripted-1.0.0.tgz');
    writeFileSync(
      tarball,
      packFolder(folder, () => true),
    );

    for (const given of [`file:${tarball}`, folder]) {
      const env = { ...isolatedEnv(), ...OFFLINE };
      const off = await runMc(['plugins', 'install', given], { env, cwd: work });
      expect([off.code, off.stderr]).toEqual([0, '']);
      expect(off.stdout).toMatch(
        /^installed mc-plugin-scripted@1\.0\.0 from the (tarball|folder) .*: method scale, dataset text-lines\ninstall scripts off \(--allow-scripts runs them\)/,
      );
      expect(readdirSync(markers)).toEqual([]);
      expect((await runMc(['plugins', 'uninstall', 'mc-plugin-scripted'], { env })).code).toBe(0);
    }

    const env = { ...isolatedEnv(), ...OFFLINE };
    const on = await runMc(['plugins', 'install', tarball, '--allow-scripts', '--json'], { env, cwd: work });
    expect(on.code).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ name: 'mc-plugin-scripted', scripts: 'allowed' });
    expect(readdirSync(markers).sort()).toEqual(['install', 'postinstall', 'preinstall']);

    // update keeps them off unless asked again
    rmSync(markers, { recursive: true });
    mkdirSync(markers);
    const update = await runMc(['plugins', 'update', '--json'], { env });
    expect(update.code).toBe(0);
    expect(JSON.parse(update.stdout)).toMatchObject({
      kind: 'plugin-update',
      scripts: 'off',
      updated: [{ name: 'mc-plugin-scripted', from: '1.0.0', to: '1.0.0' }],
      kept: [],
    });
    expect(readdirSync(markers)).toEqual([]);
  }, 120_000);

  it('update installs the new version a tarball or folder holds now', async () => {
    const work = tempDir('mc-update-');
    const folder = pluginFolder(work, { name: 'mc-plugin-scale' });
    const env = { ...isolatedEnv(), ...OFFLINE };
    expect((await runMc(['plugins', 'install', folder], { env })).code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ ...pkg, version: '1.1.0' }));
    const update = await runMc(['plugins', 'update'], { env });
    expect([update.code, update.stdout.trim()]).toEqual([0, 'updated mc-plugin-scale: 1.0.0 -> 1.1.0']);
    const list = await runMc(['list', '--json'], { env });
    expect(
      (JSON.parse(list.stdout) as { items: { id: string; version: string }[] }).items.find((i) => i.id === 'scale')
        ?.version,
    ).toBe('1.1.0');
  }, 120_000);

  it.each([
    [
      'a plugin built for another core major',
      { name: 'mc-plugin-future', peer: '^1.0.0' },
      `^Error: mc-plugin-future@1\\.0\\.0 needs @mc-kit/core \\^1\\.0\\.0, and this mc's core is ${CORE_VERSION.replace(/\./g, '\\.')} \\(hint: install a version of mc-plugin-future built for core \\d+(\\.\\d+)?, or use an mc whose core is \\^1\\.0\\.0\\)$`,
    ],
    [
      'a package that is no mc plugin',
      { name: 'mc-plugin-nothing', hookFile: 'dist/none.js', register: '' },
      '^Error: mc-plugin-nothing@1\\.0\\.0 lacks its mc:register hook \\./dist/none\\.js \\(hint: build the plugin first',
    ],
    [
      'a plugin whose hook throws',
      {
        name: 'mc-plugin-throws',
        register: "export default async () => { throw new Error('cannot open its weights database'); };\n",
      },
      '^Error: mc-plugin-throws@1\\.0\\.0 was not installed: its mc:register hook failed: cannot open its weights database \\(hint:',
    ],
    [
      "a plugin that would take core's int8",
      { name: 'mc-plugin-int8', register: SCALE_REGISTER.replace("id = 'scale'", "id = 'int8'") },
      '^Error: mc-plugin-int8@1\\.0\\.0 was not installed: method id "int8" is declared by @mc-kit/plugin-quant@[\\d.]+ and by mc-plugin-int8@1\\.0\\.0 \\(hint: an id can be provided by one plugin only',
    ],
  ])(
    '%s is refused in one line, exit 2, and the plugin folder is left as it was',
    async (_what, spec, message) => {
      const work = tempDir('mc-refuse-');
      const folder = pluginFolder(work, spec as PluginSpec);
      const tarball = join(work, 'plugin.tgz');
      writeFileSync(
        tarball,
        packFolder(folder, () => true),
      );
      const env = { ...isolatedEnv(), ...OFFLINE };
      expect(
        (await runMc(['plugins', 'install', pluginFolder(tempDir('mc-other-'), { name: 'mc-plugin-scale' })], { env }))
          .code,
      ).toBe(0);
      const before = dataDirState(env);
      const r = await runMc(['plugins', 'install', tarball], { env, cwd: work });
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(message))]);
      expect(dataDirState(env)).toBe(before);
      const list = await runMc(['list'], { env });
      expect([list.code, list.stderr]).toEqual([0, '']);
      expect(list.stdout).toMatch(/int8 .*@mc-kit\/plugin-quant/);
    },
    120_000,
  );

  it('a GitHub shorthand, a missing tarball and a bundled plugin are refused at once, in one line', async () => {
    const env = { ...isolatedEnv(), ...OFFLINE };
    for (const [given, message] of [
      [
        'someone/mc-plugin-x',
        /^Error: "someone\/mc-plugin-x" is neither a package name nor a path \(hint: for the GitHub repository write github:someone\/mc-plugin-x; for a folder write \.\/someone\/mc-plugin-x\)$/,
      ],
      ['./mc-plugin-x-0.1.0.tgz', /^Error: \.\/mc-plugin-x-0\.1\.0\.tgz: no such file \(hint:/],
      [join(REPO, 'plugins', 'quant'), /^Error: @mc-kit\/plugin-quant comes with mc; it is not installed separately/],
    ] as const) {
      const started = Date.now();
      const r = await runMc(['plugins', 'install', given], { env, cwd: tempDir() });
      expect([given, r.code]).toEqual([given, 2]);
      expect(lines(r.stderr)).toEqual([expect.stringMatching(message)]);
      expect(Date.now() - started).toBeLessThan(20_000);
    }
    const unreachable = await runMc(['plugins', 'install', 'mc-plugin-somewhere'], { env, cwd: tempDir() });
    expect([unreachable.code, lines(unreachable.stderr)]).toEqual([
      2,
      [
        expect.stringMatching(
          /^Error: cannot ask http:\/\/127\.0\.0\.1:9\/ about mc-plugin-somewhere: .*ECONNREFUSED.* \(hint: check the network/,
        ),
      ],
    ]);
    expect(dataDirState(env)).toBe('(none)');
    const un = await runMc(['plugins', 'uninstall', 'mc-plugin-nope'], { env });
    expect([un.code, lines(un.stderr)]).toEqual([
      2,
      ['Error: mc-plugin-nope is not installed (hint: no plugins are installed (mc plugins))'],
    ]);
  }, 60_000);
});

describe('plugin registration is all or nothing (issue 17 item 5)', () => {
  it("a linked plugin skipped for a bad declaration leaves core's int8 working and holds none of its ids", async () => {
    const env = isolatedEnv();
    const half = SCALE_REGISTER.replace(
      'declarations: [',
      "declarations: [{ kind: 'compressor', id: 'int8', summary: 'a second int8', params: [], create: () => new ScaleCompressor() }, { kind: 'compressor', id: 'Not An Id', summary: '', params: [], create: () => null }, ",
    );
    expect(half).not.toBe(SCALE_REGISTER);
    const folder = pluginFolder(tempDir('mc-half-'), { name: 'mc-plugin-half', register: half });
    expect((await runMc(['plugins', 'link', folder, '--no-install'], { env })).code).toBe(0);
    const list = await runMc(['list', '--json'], { env });
    expect(list.code).toBe(0);
    expect(lines(list.stderr)).toEqual([
      `warning: plugin mc-plugin-half@1.0.0 was skipped: id "Not An Id" must be lower-case letters, digits, '.', '_' or '-'`,
    ]);
    const body = JSON.parse(list.stdout) as { items: { id: string; plugin: string }[]; conflicts: string[] };
    expect(body.conflicts).toEqual([]);
    expect(body.items.filter((i) => i.plugin === 'mc-plugin-half')).toEqual([]);
    const dir = tempDir();
    const run = await runMc(
      ['compress', MODEL, '--method', 'int8', '--out', join(dir, 'q.onnx'), '--results', join(dir, 'r')],
      { env },
    );
    expect(run.code).toBe(0);
  });
});

describe('no warning noise', () => {
  it('a linked plugin loads without oclif\'s "cannot be auto-transpiled" warning; one that is gone is one line naming it', async () => {
    const env = isolatedEnv();
    const folder = fixtureCopy('mc-plugin-scale');
    const link = await runMc(['plugins', 'link', folder, '--no-install'], { env });
    expect(link.stderr).not.toMatch(/auto-transpiled/);
    const list = await runMc(['list'], { env });
    expect([list.code, list.stderr]).toEqual([0, '']);

    rmSync(folder, { recursive: true });
    const after = await runMc(['list'], { env });
    expect(after.code).toBe(0);
    expect(lines(after.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warning: plugin mc-plugin-scale \\(linked from ${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) failed to load and was skipped: .*no such file or directory`,
        ),
      ),
    ]);
    expect(after.stdout).toMatch(/int8/);
  });
});
