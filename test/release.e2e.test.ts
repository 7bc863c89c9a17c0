/**
 * A release and a user's first hour (issue 18), against a real npm registry (verdaccio on 127.0.0.1,
 * no uplinks) and a user with a fresh HOME and npm prefix and no mc on PATH:
 *   1. the maintainers publish every package;
 *   2. the user installs the CLI globally from that registry, as README.md says;
 *   3. runs mc compress and mc eval on the bundled example;
 *   4. writes a plugin: the journey README.md and PLUGINS.md both give, run as written (generate,
 *      npm install, build, test, publish);
 *   5. installs it by name, 6. runs it; then the same from the tarball and from the folder.
 * Step 4 runs once more against a registry that has no @mc-kit/core (a second verdaccio holding only
 * the third-party packages a plugin's build needs, as npmjs.org would): mc generate falls back to the
 * installed mc's own core, and the plugin still builds, publishes, installs and runs.
 *
 * Each step's time is printed at the end (the closing note of issue 18 quotes them).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CORE_VERSION, DataType, OnnxModel } from '@mc-kit/core';
import { BUILT, EXAMPLES, REPO, lines, tempDir } from './helpers/cli.js';
import { commands, journeyBlocks, runBlock, type BlockRun } from './helpers/docs.js';
import { readJson, run, startRegistry, type LocalRegistry, type Run } from './helpers/registry.js';
import { seedRegistry } from './helpers/seed-registry.js';

const MODEL = join(EXAMPLES, 'mnist-cnn', 'model.onnx');
const DIGITS = join(EXAMPLES, 'mnist-test');
const PUBLISHED = [
  'packages/core',
  'plugins/quant',
  'plugins/vision',
  'plugins/lm',
  'plugins/hyper',
  'plugins/prune',
  'plugins/llm-kick',
  'plugins/latency',
  'packages/queue',
  'packages/cli',
];
const VERSION = readJson<{ version: string }>(join(REPO, 'lerna.json')).version;

const README = journeyBlocks('README.md');
const PLUGINS = journeyBlocks('PLUGINS.md');

/** [step, seconds, is a command inside a timed block] */
const times: [string, number, boolean][] = [];
const scratch: string[] = [];
let registry: LocalRegistry;
/** a copy of the registry's storage before any mc package was published: third-party packages only */
let thirdPartyOnly: string;
let user: { home: string; prefix: string; work: string; env: Record<string, string> };

function scratchDir(prefix: string): string {
  const dir = tempDir(prefix);
  scratch.push(dir);
  return dir;
}

async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    times.push([name, (Date.now() - started) / 1000, false]);
  }
}

function expectOk(r: Run | BlockRun, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
}

/** Record each command of a block run as its own step. */
function blockTimes(prefix: string, r: BlockRun): void {
  for (const t of r.times) times.push([`    ${prefix}: ${t.command}`, t.seconds, true]);
}

/** What a user's shell has: their HOME, npm's global prefix on PATH before node and npm, nothing of this repository. */
function userEnvironment(reg: LocalRegistry, home: string, prefix: string): Record<string, string> {
  const path = (process.env.PATH ?? '').split(':').filter((p) => p && !p.includes('node_modules'));
  const env: Record<string, string> = {
    ...reg.env,
    HOME: home,
    npm_config_prefix: prefix,
    PATH: [join(prefix, 'bin'), dirname(process.execPath), ...path].join(':'),
  };
  for (const k of [
    'MC_DATA_DIR',
    'MC_CONFIG_DIR',
    'MC_CACHE_DIR',
    'XDG_DATA_HOME',
    'XDG_CONFIG_HOME',
    'XDG_CACHE_HOME',
  ])
    delete env[k];
  // README's install line must work without it: --ignore-scripts keeps onnxruntime-node from fetching CUDA files.
  delete env.ONNXRUNTIME_NODE_INSTALL;
  return env;
}

function mc(args: string[], cwd = user.work, env = user.env): Promise<Run> {
  return run('mc', args, { cwd, env });
}

/** The packages a global install and a generated plugin fetch from npm (third-party only). */
function thirdPartyRoots(): [string, string][] {
  const roots: [string, string][] = [];
  for (const dir of PUBLISHED) {
    for (const name of Object.keys(
      readJson<{ dependencies?: Record<string, string> }>(join(REPO, dir, 'package.json')).dependencies ?? {},
    )) {
      if (!name.startsWith('@mc-kit/')) roots.push([dir, name]);
    }
  }
  const tools = readJson<{ devDependencies: Record<string, string> }>(
    join(REPO, 'templates', 'compressor', 'package.json'),
  ).devDependencies;
  for (const name of Object.keys(tools)) if (name !== '@mc-kit/core') roots.push(['', name]);
  return roots;
}

/** Every float32 weight of `out` that my-quant rounded keeps `bits` of 23 mantissa bits. */
async function expectRounded(out: string, bits: number): Promise<void> {
  const model = await OnnxModel.load(out);
  expect(model.getMetadata('mc.method')).toBe('my-quant');
  const w = model.getInitializer('head.4.weight')!;
  expect(w.dataType).toBe(DataType.FLOAT);
  const mask = (1 << (23 - bits)) - 1;
  const raw = new Uint32Array(w.readFloat32().buffer);
  expect(raw.every((u) => (u & mask) === 0)).toBe(true);
  expect(raw.some((u) => (u & 0x7fffff) !== 0)).toBe(true);
}

const describeBuilt = BUILT ? describe : describe.skip;
if (!BUILT) console.warn('SKIPPED the release journey: run npm run build first');

describeBuilt("a release and a user's first hour", () => {
  beforeAll(async () => {
    registry = await timed('start verdaccio', () => startRegistry(25 * 60_000));
    await timed('seed the registry with the third-party packages (as npmjs.org has them)', () =>
      seedRegistry(registry, thirdPartyRoots()),
    );
    thirdPartyOnly = scratchDir('mc-storage-');
    rmSync(thirdPartyOnly, { recursive: true });
    await new Promise((r) => setTimeout(r, 500)); // verdaccio writes its package index after answering
    cpSync(registry.storage, thirdPartyOnly, { recursive: true });
    const home = scratchDir('mc-home-');
    const prefix = join(home, 'npm-global');
    const work = join(home, 'work');
    mkdirSync(work);
    copyFileSync(MODEL, join(work, 'model.onnx'));
    user = { home, prefix, work, env: userEnvironment(registry, home, prefix) };
  }, 600_000);

  afterAll(async () => {
    await timed("stop verdaccio, remove the user's HOME (global prefix, two plugins' node_modules)", async () => {
      await registry?.stop();
      // rm -rf is several times faster than a recursive rmSync over node_modules trees
      if (process.platform !== 'win32' && scratch.length) execFileSync('rm', ['-rf', ...scratch]);
      else for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
    });
    const width = Math.max(...times.map(([name]) => name.length));

    const total = times.filter(([, , inner]) => !inner).reduce((a, [, s]) => a + s, 0);
    console.log(
      [
        'release journey, seconds per step (indented: the commands of the step above):',
        ...times.map(([name, s]) => `  ${name.padEnd(width)}  ${s.toFixed(1)}`),
        `  ${'total'.padEnd(width)}  ${total.toFixed(1)}`,
      ].join('\n'),
    );
  });

  it('README.md and PLUGINS.md give the same plugin journey, step for step', () => {
    for (const name of ['write-a-plugin', 'install-without-publishing']) {
      expect(README.has(name) && PLUGINS.has(name)).toBe(true);
      expect(commands(README.get(name)!)).toEqual(commands(PLUGINS.get(name)!));
    }
    expect(commands(README.get('write-a-plugin')!)).toEqual([
      'mc generate compressor my-quant',
      'cd mc-plugin-my-quant && npm install',
      'npm run build && npm test',
      'npm publish',
      'cd .. && mc plugins install mc-plugin-my-quant',
      'mc compress model.onnx --method my-quant --mantissa-bits 4 --out model-rounded.onnx',
    ]);
  });

  it('1. the maintainers publish every package', async () => {
    await timed('1. publish @mc-kit/core', async () =>
      expectOk(
        await run('npm', ['publish'], { cwd: join(REPO, 'packages/core'), env: registry.env }),
        'npm publish core',
      ),
    );
    await timed('1. publish the seven first-party plugins and @mc-kit/cli', async () => {
      for (const dir of PUBLISHED.slice(1))
        expectOk(await run('npm', ['publish'], { cwd: join(REPO, dir), env: registry.env }), `npm publish ${dir}`);
    });
    const view = await run('npm', ['view', '@mc-kit/cli', 'version', 'dependencies', '--json'], {
      cwd: user.work,
      env: registry.env,
    });
    expect(JSON.parse(view.stdout)).toMatchObject({
      version: VERSION,
      dependencies: { '@mc-kit/core': VERSION, '@mc-kit/plugin-quant': VERSION },
    });
  }, 300_000);

  it('2. npm i -g @mc-kit/cli from the registry, as README.md says, gives a working mc with the first-party plugins', async () => {
    const block = README.get('install-from-a-registry');
    expect(commands(block!)[0]).toBe('npm install -g @mc-kit/cli --ignore-scripts');
    const r = await timed('2. npm install -g @mc-kit/cli (README)', () =>
      runBlock(block!, { cwd: user.work, env: user.env }),
    );
    expectOk(r, 'the README install block');
    blockTimes('2', r);
    expect(readdirSync(join(user.prefix, 'bin'))).toEqual(['mc']);
    const version = await mc(['--version']);
    expect(version.stdout).toMatch(new RegExp(`^@mc-kit/cli/${VERSION.replace(/\./g, '\\.')} `));
    const list = await mc(['list', '--json']);
    expectOk(list, 'mc list');
    expect(list.stderr).toBe('');
    const byId = new Map(
      (JSON.parse(list.stdout) as { items: { id: string; plugin: string }[] }).items.map((i) => [i.id, i.plugin]),
    );
    for (const [id, plugin] of [
      ['int8', 'quant'],
      ['gptq', 'quant'],
      ['hyper', 'hyper'],
      ['prune', 'prune'],
      ['bpc', 'lm'],
      ['kld', 'lm'],
      ['accuracy', 'vision'],
      ['kick-mcq', 'llm-kick'],
      ['latency', 'latency'],
    ]) {
      expect([id, byId.get(id)]).toEqual([id, `@mc-kit/plugin-${plugin}`]);
    }
  }, 300_000);

  it('3. mc compress and mc eval on the bundled example', async () => {
    const compress = await timed('3. mc compress examples/mnist-cnn --method int8', () =>
      mc(['compress', join(EXAMPLES, 'mnist-cnn'), '--method', 'int8', '--out', 'mnist-int8.onnx', '--json']),
    );
    expectOk(compress, 'mc compress');
    expect(compress.stderr).toBe('');
    const evaluated = await timed('3. mc eval mnist-int8.onnx --metric accuracy (2000 digits)', () =>
      mc(['eval', 'mnist-int8.onnx', '--metric', 'accuracy', '--dataset', DIGITS, '--json']),
    );
    expectOk(evaluated, 'mc eval');
    const top1 = (JSON.parse(evaluated.stdout) as { metric: { values: { top1: { value: number } } } }).metric.values
      .top1.value;
    expect(top1).toBeGreaterThan(0.97);
  }, 180_000);

  it('4-6. a plugin written as README.md and PLUGINS.md say: generated, built, tested, published, installed by name and run', async () => {
    const r = await timed('4-6. the write-a-plugin journey (README = PLUGINS.md)', () =>
      runBlock(README.get('write-a-plugin')!, { cwd: user.work, env: user.env }),
    );
    blockTimes('4-6', r);
    expectOk(r, 'the write-a-plugin journey');
    // The core on the registry is used; mc is on PATH, so the printed link step says `mc`.
    expect(r.stdout).toMatch(new RegExp(`@mc-kit/core ${VERSION.replace(/\./g, '\\.')}\\n`));
    expect(r.stdout).not.toMatch(/^note:/m);
    expect(r.stdout).toMatch(
      new RegExp(
        `^ {2}mc plugins link ${join(user.work, 'mc-plugin-my-quant').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`,
        'm',
      ),
    );
    expect(`${r.stdout}${r.stderr}`).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(r.stdout).toMatch(
      /^installed mc-plugin-my-quant@0\.1\.0 from the registry mc-plugin-my-quant@latest: method my-quant$/m,
    );
    expect(lines(r.stderr).filter((l) => /warning|Warning/.test(l) && !/^npm (warn|notice)/.test(l))).toEqual([]);
    await expectRounded(join(user.work, 'model-rounded.onnx'), 4);
    // the generated package depends on the registry's core, and its peer is this core's line
    const pkg = readJson<{ devDependencies: Record<string, string>; peerDependencies: Record<string, string> }>(
      join(user.work, 'mc-plugin-my-quant', 'package.json'),
    );
    expect([pkg.devDependencies['@mc-kit/core'], pkg.peerDependencies['@mc-kit/core']]).toEqual([
      CORE_VERSION,
      `^${CORE_VERSION}`,
    ]);
  }, 600_000);

  it('5-6. the same plugin from its tarball and from its folder, as both documents say; then update and uninstall', async () => {
    const r = await timed('5-6. the install-without-publishing journey (tarball, folder)', () =>
      runBlock(README.get('install-without-publishing')!, { cwd: user.work, env: user.env }),
    );
    blockTimes('5-6', r);
    expectOk(r, 'the install-without-publishing journey');
    expect(r.stdout).toMatch(
      /^installed mc-plugin-my-quant@0\.1\.0 from the tarball .*mc-plugin-my-quant-0\.1\.0\.tgz: method my-quant$/m,
    );
    expect(r.stdout).toMatch(
      /^installed mc-plugin-my-quant@0\.1\.0 from the folder .*mc-plugin-my-quant: method my-quant$/m,
    );
    const compress = await timed('6. mc compress --method my-quant (installed from the folder)', () =>
      mc(['compress', 'model.onnx', '--method', 'my-quant', '--mantissa-bits', '2', '--out', 'model-2bits.onnx']),
    );
    expectOk(compress, 'mc compress --method my-quant');
    await expectRounded(join(user.work, 'model-2bits.onnx'), 2);
    const update = await timed('mc plugins update', () => mc(['plugins', 'update']));
    expectOk(update, 'mc plugins update');
    expect(update.stdout.trim()).toBe('updated mc-plugin-my-quant: 0.1.0 -> 0.1.0');
    const uninstall = await timed('mc plugins uninstall', () => mc(['plugins', 'uninstall', 'mc-plugin-my-quant']));
    expectOk(uninstall, 'mc plugins uninstall');
    const gone = await mc(['compress', 'model.onnx', '--method', 'my-quant', '--out', 'again.onnx']);
    expect(gone.code).toBe(2);
    expect(lines(gone.stderr)).toEqual([expect.stringMatching(/^Error: unknown method "my-quant"/)]);
  }, 600_000);

  it('4 again, against a registry with no @mc-kit/core at all: the local-core fallback, said in one line', async () => {
    const bare = await timed('start a registry without @mc-kit/core', () =>
      startRegistry(15 * 60_000, { storageFrom: thirdPartyOnly }),
    );
    try {
      const work = join(user.home, 'work-no-core');
      mkdirSync(work);
      copyFileSync(MODEL, join(work, 'model.onnx'));
      const env = { ...userEnvironment(bare, user.home, user.prefix), MC_DATA_DIR: join(user.home, 'mc-data-no-core') };
      const core = await run('npm', ['view', '@mc-kit/core', 'version'], { cwd: work, env });
      expect(core.code).not.toBe(0);
      expect(core.stderr).toMatch(/E404/);

      const r = await timed('4 again (no core on the registry): the write-a-plugin journey', () =>
        runBlock(README.get('write-a-plugin')!, { cwd: work, env }),
      );
      blockTimes('4 again', r);
      expectOk(r, 'the write-a-plugin journey without core on the registry');
      const coreRoot = join(user.prefix, 'lib', 'node_modules', '@mc-kit', 'cli', 'node_modules', '@mc-kit', 'core');
      expect(r.stdout).toContain(
        `note: @mc-kit/core ${CORE_VERSION} is not on ${bare.url}: mc-plugin-my-quant builds against this mc's own core (file:${coreRoot})\n`,
      );
      expect(r.stdout).toMatch(
        /^installed mc-plugin-my-quant@0\.1\.0 from the registry mc-plugin-my-quant@latest: method my-quant$/m,
      );
      await expectRounded(join(work, 'model-rounded.onnx'), 4);
      // nothing fetched @mc-kit/core from this registry: it still has none
      expect((await run('npm', ['view', '@mc-kit/core', 'version'], { cwd: work, env })).code).not.toBe(0);

      // mc plugins update takes a newer version built for this core, and keeps the plugin where the
      // newest one needs another core
      const folder = join(work, 'mc-plugin-my-quant');
      const publish = async (version: string, peer: string) => {
        const pkg = readJson<Record<string, unknown>>(join(folder, 'package.json'));
        writeFileSync(
          join(folder, 'package.json'),
          JSON.stringify({ ...pkg, version, peerDependencies: { '@mc-kit/core': peer } }, null, 2),
        );
        expectOk(await run('npm', ['publish', '--ignore-scripts'], { cwd: folder, env }), `npm publish ${version}`);
      };
      await publish('0.1.1', `^${CORE_VERSION}`);
      const update = await timed('mc plugins update (a newer version on the registry)', () =>
        mc(['plugins', 'update'], work, env),
      );
      expectOk(update, 'mc plugins update');
      expect(update.stdout.trim()).toBe('updated mc-plugin-my-quant: 0.1.0 -> 0.1.1');
      await publish('0.2.0', '^1.0.0');
      const kept = await mc(['plugins', 'update', '--json'], work, env);
      expectOk(kept, 'mc plugins update');
      expect(JSON.parse(kept.stdout)).toEqual({
        kind: 'plugin-update',
        scripts: 'off',
        updated: [],
        kept: [
          {
            name: 'mc-plugin-my-quant',
            version: '0.1.1',
            reason: `0.2.0 needs @mc-kit/core ^1.0.0, and this mc's core is ${CORE_VERSION}`,
          },
        ],
      });
    } finally {
      await bare.stop();
    }
  }, 600_000);
});
