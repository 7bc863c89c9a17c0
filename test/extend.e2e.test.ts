/**
 * Extending mc as an author and a user do it (issue 11), through a real npm registry: verdaccio on
 * 127.0.0.1 with no uplinks, filled with @mc-kit/core (npm publish) and the npm packages a plugin
 * needs (from this repository's node_modules, see helpers/seed-registry.ts).
 *
 * Authors run `mc generate`, `npm install`, build, test and `npm publish`; users run `mc plugins
 * search/install/uninstall`, `mc list`, `mc compress` and `mc eval`, each with their own oclif data
 * folder. The outputs are checked by onnxruntime-node alone, in a plain node process.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_VERSION, DataType, OnnxModel } from '@mc-kit/core';
import { BIN, EXAMPLES, HAS_SHARED, REPO, SHARED, lines, tempDir, expectWrittenModelsValid } from './helpers/cli.js';
import { publishTarball, readJson, run, startRegistry, type LocalRegistry, type Run } from './helpers/registry.js';
import { seedRegistry } from './helpers/seed-registry.js';
import { packFolder } from './helpers/tar.js';

/** The shared mnist-cnn where ../shared is present; the repository's copy (the same file) otherwise. */
const MODEL_DIR = HAS_SHARED ? join(SHARED, 'models', 'mnist-cnn') : join(EXAMPLES, 'mnist-cnn');
const DIGITS = join(EXAMPLES, 'mnist-test');
const SAMPLES = 200;
const KINDS = ['compressor', 'metric', 'dataset'] as const;
type Kind = (typeof KINDS)[number];
const NAMES: Record<Kind, string> = { compressor: 'my-quant', metric: 'my-metric', dataset: 'my-digits' };

let registry: LocalRegistry;
let work: string;
const author: Record<Kind, string> = { compressor: '', metric: '', dataset: '' };
/** Folders this file made (a run leaves ~1 GB of node_modules): removed in afterAll. */
const scratch: string[] = [];

function scratchDir(prefix: string): string {
  const dir = tempDir(prefix);
  scratch.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** mc as a user runs it: the registry's npm environment, and an oclif data folder of their own. */
function userEnv(): Record<string, string> {
  const home = scratchDir('mc-user-');
  return {
    ...registry.env,
    MC_DATA_DIR: join(home, 'data'),
    MC_CONFIG_DIR: join(home, 'config'),
    MC_CACHE_DIR: join(home, 'cache'),
  };
}

async function mc(args: string[], env: Record<string, string>): Promise<Run> {
  const r = await run(process.execPath, [BIN, ...args], { cwd: work, env });
  if (r.code === 0) await expectWrittenModelsValid(args, work);
  return r;
}

function npm(args: string[], cwd: string): Promise<Run> {
  return run('npm', args, { cwd, env: registry.env });
}

function expectOk(r: Run, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
}

/** Logits of the first SAMPLES digits from each model, computed by onnxruntime-node with no mc code. */
function plainOrtLogits(models: string[]): number[][] {
  const script = `
    import ort from 'onnxruntime-node';
    import { readFileSync } from 'node:fs';
    const [images, n, ...models] = process.argv.slice(1);
    const px = readFileSync(images).subarray(0, Number(n) * 784);
    const x = new ort.Tensor('float32', Float32Array.from(px, (v) => v / 255), [Number(n), 1, 28, 28]);
    const out = [];
    for (const m of models) {
      const s = await ort.InferenceSession.create(m);
      out.push(Array.from((await s.run({ [s.inputNames[0]]: x }))[s.outputNames[0]].data));
    }
    console.log(JSON.stringify(out));`;
  const stdout = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', script, join(DIGITS, 'images.u8'), String(SAMPLES), ...models],
    { cwd: REPO, encoding: 'utf8' },
  );
  return JSON.parse(stdout) as number[][];
}

/** Like Promise.all, but waits for every task (an npm left running would outlive the registry). */
async function all(tasks: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(tasks)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function argmax(row: number[]): number {
  return row.indexOf(Math.max(...row));
}

/** The packages npm will ask the registry for: the templates' build tools and core's dependencies. */
function neededFromNpm(): [string, string][] {
  const tools = new Set<string>();
  for (const kind of KINDS)
    for (const name of Object.keys(
      readJson<{ devDependencies: Record<string, string> }>(join(REPO, 'templates', kind, 'package.json'))
        .devDependencies,
    ))
      tools.add(name);
  tools.delete('@mc-kit/core');
  const core = readJson<{ dependencies: Record<string, string> }>(
    join(REPO, 'packages', 'core', 'package.json'),
  ).dependencies;
  return [
    ...[...tools].map((n): [string, string] => ['', n]),
    ...Object.keys(core).map((n): [string, string] => ['packages/core', n]),
  ];
}

describe('mc generate refuses bad requests with one line and exit code 2', () => {
  // A user's environment: not jest's NODE_ENV=test (oclif adds developer warnings under it), own oclif folders.
  const env = () => {
    const home = scratchDir('mc-user-');
    const inherited = Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && e[0] !== 'NODE_ENV',
    );
    return {
      ...Object.fromEntries(inherited),
      NO_COLOR: '1',
      MC_DATA_DIR: join(home, 'data'),
      MC_CONFIG_DIR: join(home, 'config'),
      MC_CACHE_DIR: join(home, 'cache'),
    };
  };

  it.each([
    [
      ['generate', 'compressor', 'My_Quant'],
      /^Error: "My_Quant" cannot name a plugin: an id is lower-case letters .* \(hint: e\.g\. my-quant\)$/,
    ],
    [
      ['generate', 'compressor', 'int8'],
      /^Error: method id "int8" is already provided by @mc-kit\/plugin-quant@\d+\.\d+\.\d+ \(hint: choose another name; mc list shows the ids in use\)$/,
    ],
    [['generate', 'exporter', 'x'], /^Error: Expected exporter to be one of: compressor, metric, dataset/],
  ])('%j', async (args, message) => {
    const dir = scratchDir('mc-generate-');
    const r = await run(process.execPath, [BIN, ...args], { cwd: dir, env: env() });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never writes into an existing folder', async () => {
    const dir = scratchDir('mc-generate-');
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    const r = await run(process.execPath, [BIN, 'generate', 'metric', 'my-metric', '--dir', '.', '--json'], {
      cwd: dir,
      env: env(),
    });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'E_TARGET_EXISTS',
      message: '. already exists; mc generate never writes into an existing folder',
    });
    expect(readdirSync(dir)).toEqual(['keep.txt']);
  });
});

describe('extending mc through a real npm registry', () => {
  beforeAll(async () => {
    registry = await startRegistry(8 * 60_000);
    work = scratchDir('mc-extend-');
    // The registry gets core's dependencies and the build tools (as npmjs.org has them) and
    // @mc-kit/core itself (as its maintainers publish it); then three authors start a plugin each,
    // against the core on the registry (test/release.e2e.test.ts covers a registry without it).
    const core = npm(['publish'], join(REPO, 'packages', 'core')).then((r) => expectOk(r, 'npm publish @mc-kit/core'));
    const generated = core.then(() =>
      all(
        KINDS.map(async (kind) => {
          const gen = await mc(['generate', kind, NAMES[kind], '--json'], userEnv());
          expectOk(gen, `mc generate ${kind}`);
          const report = JSON.parse(gen.stdout) as {
            dir: string;
            next: string[];
            coreSpec: string;
            coreSource: string;
            notes: string[];
          };
          // mc is not on this PATH: the printed link step names this mc by its path, so it runs as printed
          expect(report.next).toEqual([
            `cd mc-plugin-${NAMES[kind]} && npm install`,
            'npm run build && npm test',
            `${BIN} plugins link ${report.dir}`,
          ]);
          expect(report).toMatchObject({ coreSpec: CORE_VERSION, coreSource: 'registry', notes: [] });
          author[kind] = report.dir;
        }),
      ),
    );
    await all([seedRegistry(registry, neededFromNpm()), core, generated]);
    // The first of the next commands mc generate printed.
    await all(KINDS.map(async (kind) => expectOk(await npm(['install'], author[kind]), `npm install (${kind})`)));
  }, 300_000);

  afterAll(async () => {
    await registry?.stop();
  });

  it('the generated packages build and pass their own tests', async () => {
    await all(
      KINDS.map(async (kind) => {
        expectOk(await npm(['run', 'build'], author[kind]), `npm run build (${kind})`);
        const test = await npm(['test'], author[kind]);
        expectOk(test, `npm test (${kind})`);
        expect(test.stderr).toMatch(/Tests:\s+\d+ passed, \d+ total/);
      }),
    );
  }, 180_000);

  it('a compressor: published, installed, listed, run on mnist-cnn, checked by plain onnxruntime, uninstalled', async () => {
    expectOk(await npm(['publish'], author.compressor), 'npm publish mc-plugin-my-quant');
    const user = userEnv();

    expectOk(await mc(['plugins', 'install', 'mc-plugin-my-quant'], user), 'mc plugins install');
    const list = await mc(['list', '--json'], user);
    expectOk(list, 'mc list');
    expect(list.stderr).toBe('');
    const items = (
      JSON.parse(list.stdout) as { items: { kind: string; id: string; plugin: string; version: string }[] }
    ).items;
    expect(items).toContainEqual(
      expect.objectContaining({ kind: 'method', id: 'my-quant', plugin: 'mc-plugin-my-quant', version: '0.1.0' }),
    );

    const out = join(work, 'mnist-my-quant.onnx');
    const compress = await mc(
      [
        'compress',
        MODEL_DIR,
        '--method',
        'my-quant',
        '--mantissa-bits',
        '3',
        '--out',
        out,
        '--results',
        join(work, 'results'),
        '--json',
      ],
      user,
    );
    expectOk(compress, 'mc compress --method my-quant');
    const result = JSON.parse(compress.stdout) as {
      steps: { method: string; params: Record<string, unknown>; tensors: { name: string }[] }[];
      versions: { plugins: Record<string, string> };
    };
    expect(result.steps[0]).toMatchObject({ method: 'my-quant', params: { 'mantissa-bits': 3 } });
    expect(result.versions.plugins).toEqual({ 'mc-plugin-my-quant': '0.1.0' });

    // Every rounded weight keeps 3 of 23 mantissa bits; the model still classifies like the dense one.
    const rounded = await OnnxModel.load(out);
    expect(rounded.getMetadata('mc.method')).toBe('my-quant');
    for (const { name } of result.steps[0].tensors) {
      const init = rounded.getInitializer(name)!;
      expect(init.dataType).toBe(DataType.FLOAT);
      const bits = new Uint32Array(init.readFloat32().buffer);
      expect(bits.every((u) => (u & 0xfffff) === 0)).toBe(true);
    }
    const [dense, compressed] = plainOrtLogits([join(MODEL_DIR, 'model.onnx'), out]);
    expect(compressed).not.toEqual(dense);
    let agree = 0;
    for (let i = 0; i < SAMPLES; i++)
      if (argmax(dense.slice(i * 10, i * 10 + 10)) === argmax(compressed.slice(i * 10, i * 10 + 10))) agree++;
    expect(agree / SAMPLES).toBeGreaterThanOrEqual(0.95);

    expectOk(await mc(['plugins', 'uninstall', 'mc-plugin-my-quant'], user), 'mc plugins uninstall');
    const after = await mc(['list', '--json'], user);
    expect((JSON.parse(after.stdout) as { items: { id: string }[] }).items.map((i) => i.id)).not.toContain('my-quant');
    const gone = await mc(['compress', MODEL_DIR, '--method', 'my-quant', '--out', join(work, 'again.onnx')], user);
    expect(gone.code).toBe(2);
    expect(lines(gone.stderr)).toEqual([expect.stringMatching(/^Error: unknown method "my-quant"/)]);
  }, 180_000);

  it('a metric: published, installed, used by mc eval against a hand computation, uninstalled', async () => {
    expectOk(await npm(['publish'], author.metric), 'npm publish mc-plugin-my-metric');
    const user = userEnv();
    expectOk(await mc(['plugins', 'install', 'mc-plugin-my-metric'], user), 'mc plugins install');
    const list = await mc(['list', '--kind', 'metric', '--json'], user);
    expect((JSON.parse(list.stdout) as { items: unknown[] }).items).toContainEqual(
      expect.objectContaining({
        id: 'my-metric',
        plugin: 'mc-plugin-my-metric',
        version: '0.1.0',
        datasetKinds: ['image-class'],
      }),
    );

    const evalRun = await mc(
      [
        'eval',
        MODEL_DIR,
        '--metric',
        'my-metric',
        '--dataset',
        DIGITS,
        '--limit',
        String(SAMPLES),
        '--batch-size',
        '64',
        '--results',
        join(work, 'results'),
        '--json',
      ],
      user,
    );
    expectOk(evalRun, 'mc eval --metric my-metric');
    const result = JSON.parse(evalRun.stdout) as {
      metric: { metric: string; samples: number; values: { nll: { value: number } } };
      dataset: { provider: string };
      versions: { plugins: Record<string, string> };
    };
    expect(result.metric).toMatchObject({ metric: 'my-metric', samples: SAMPLES });
    expect(result.dataset.provider).toBe('u8-images');
    expect(result.versions.plugins['mc-plugin-my-metric']).toBe('0.1.0');
    // The same number from onnxruntime's logits here: nll = logsumexp(z) - z[label]; label of sample k is k % 10.
    const [logits] = plainOrtLogits([join(MODEL_DIR, 'model.onnx')]);
    const labels = readFileSync(join(DIGITS, 'labels.u8'));
    let sum = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const z = logits.slice(i * 10, i * 10 + 10);
      const max = Math.max(...z);
      sum += max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) - z[labels[i]];
    }
    expect(result.metric.values.nll.value).toBeCloseTo(sum / SAMPLES, 6);

    expectOk(await mc(['plugins', 'uninstall', 'mc-plugin-my-metric'], user), 'mc plugins uninstall');
    const gone = await mc(['eval', MODEL_DIR, '--metric', 'my-metric', '--dataset', DIGITS], user);
    expect(gone.code).toBe(2);
    expect(lines(gone.stderr)).toEqual([expect.stringMatching(/^Error: unknown metric "my-metric"/)]);
  }, 180_000);

  it('a dataset provider: picked up by mc plugins link at once, and read by mc eval', async () => {
    const user = userEnv();
    expectOk(await mc(['plugins', 'link', author.dataset], user), 'mc plugins link');
    // The first SAMPLES digits as MNIST-in-CSV lines: label,pixel,...
    const images = readFileSync(join(DIGITS, 'images.u8'));
    const labels = readFileSync(join(DIGITS, 'labels.u8'));
    const rows = [
      'label,' + Array.from({ length: 784 }, (_, i) => `${Math.floor(i / 28) + 1}x${(i % 28) + 1}`).join(','),
    ];
    for (let i = 0; i < SAMPLES; i++) rows.push([labels[i], ...images.subarray(i * 784, (i + 1) * 784)].join(','));
    const csv = join(work, 'digits.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);

    const fromCsv = await mc(
      ['eval', MODEL_DIR, '--metric', 'accuracy', '--dataset', csv, '--results', join(work, 'results'), '--json'],
      user,
    );
    expectOk(fromCsv, 'mc eval --dataset digits.csv');
    const fromU8 = await mc(
      [
        'eval',
        MODEL_DIR,
        '--metric',
        'accuracy',
        '--dataset',
        DIGITS,
        '--limit',
        String(SAMPLES),
        '--results',
        join(work, 'results'),
        '--json',
      ],
      user,
    );
    type EvalJson = {
      dataset: { provider: string; size: number };
      metric: { sums: Record<string, number> };
      versions: { plugins: Record<string, string> };
    };
    const a = JSON.parse(fromCsv.stdout) as EvalJson;
    const b = JSON.parse(fromU8.stdout) as EvalJson;
    expect(a.dataset).toMatchObject({ provider: 'my-digits', size: SAMPLES });
    expect(a.versions.plugins['mc-plugin-my-digits']).toBe('0.1.0');
    expect(a.metric.sums).toEqual(b.metric.sums);
  }, 120_000);

  it('plugins built for another core major or a newer core, or whose hook throws, are refused at install with one line each; mc keeps working', async () => {
    const fixtures = scratchDir('mc-bad-plugins-');
    const plugin = (name: string, version: string, register: string, extra: Record<string, unknown> = {}) => {
      const dir = join(fixtures, name);
      const pkg = {
        name,
        version,
        description: `test fixture: ${name}`,
        type: 'module',
        keywords: ['mc-plugin'],
        oclif: { hooks: { 'mc:register': './register.js' } },
        ...extra,
      };
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
      writeFileSync(join(dir, 'register.js'), register);
      return publishTarball(
        registry,
        pkg,
        packFolder(dir, () => true),
      );
    };
    // As a plugin compiled against a future @mc-kit/core 1.x would answer (definePlugin records it),
    // once with the peer range its package.json should state and once without any.
    const future = `export default async () => ({ mcPlugin: 1, coreVersion: '1.0.0', declarations: [
      { kind: 'compressor', id: 'future', summary: 'from core 1.x', params: [], create: () => { throw new Error('never built'); } }] });\n`;
    await plugin('mc-plugin-for-core-1', '2.0.0', future, { peerDependencies: { '@mc-kit/core': '^1.0.0' } });
    await plugin('mc-plugin-from-core-1', '2.0.0', future);
    // Built against the next patch of this very core: before 1.0 an API addition is only a patch, so it
    // may call what this core lacks, and the line says that updating mc is the fix.
    const [major, minor, patch] = CORE_VERSION.split('.').map(Number);
    const nextPatch = `${major}.${minor}.${patch + 1}`;
    await plugin(
      'mc-plugin-from-next-core',
      '1.0.0',
      future.replace(`coreVersion: '1.0.0'`, `coreVersion: '${nextPatch}'`).replace("id: 'future'", "id: 'next'"),
    );
    // And one built for the release line before this one, which only its author can move forward.
    const olderLine = major > 0 ? `${major - 1}.9.0` : `0.${minor - 1}.9`;
    await plugin(
      'mc-plugin-from-older-core',
      '1.0.0',
      future.replace(`coreVersion: '1.0.0'`, `coreVersion: '${olderLine}'`).replace("id: 'future'", "id: 'older'"),
    );
    await plugin(
      'mc-plugin-throws',
      '0.0.1',
      `export default async () => { throw new Error('cannot open its weights database'); };\n`,
    );

    const user = userEnv();
    const refusals = [
      [
        'mc-plugin-for-core-1',
        `Error: mc-plugin-for-core-1@2.0.0 needs @mc-kit/core ^1.0.0, and this mc's core is ${CORE_VERSION}`,
      ],
      [
        'mc-plugin-from-core-1',
        `Error: mc-plugin-from-core-1@2.0.0 was not installed: was built for @mc-kit/core 1.0.0, newer than this mc's core ${CORE_VERSION}: update mc (npm i -g @mc-kit/cli) (hint: mc was left as it was)`,
      ],
      [
        'mc-plugin-from-next-core',
        `Error: mc-plugin-from-next-core@1.0.0 was not installed: was built for @mc-kit/core ${nextPatch}, newer than this mc's core ${CORE_VERSION}: update mc (npm i -g @mc-kit/cli) (hint: mc was left as it was)`,
      ],
      [
        'mc-plugin-from-older-core',
        `Error: mc-plugin-from-older-core@1.0.0 was not installed: was built for @mc-kit/core ${olderLine}, incompatible with this mc's core ${CORE_VERSION} (hint: its author can fix it; mc was left as it was)`,
      ],
      [
        'mc-plugin-throws',
        'Error: mc-plugin-throws@0.0.1 was not installed: its mc:register hook failed: cannot open its weights database',
      ],
    ];
    for (const [name, message] of refusals) {
      const r = await mc(['plugins', 'install', name], user);
      expect([name, r.code]).toEqual([name, 2]);
      expect(lines(r.stderr)).toEqual([expect.stringContaining(message)]);
    }
    const list = await mc(['list'], user);
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/int8/);
    expect(list.stdout).not.toMatch(/future|\bnext\b|\bolder\b/);
    const compress = await mc(
      [
        'compress',
        MODEL_DIR,
        '--method',
        'int8',
        '--out',
        join(work, 'int8.onnx'),
        '--results',
        join(work, 'results'),
        '--json',
      ],
      user,
    );
    expect(compress.code).toBe(0);
    expect(compress.stderr).toBe('');
  }, 120_000);

  it('mc plugins search finds the published plugins, and only packages with the keyword mc-plugin', async () => {
    const user = userEnv();
    const quant = await mc(['plugins', 'search', 'quant', '--json'], user);
    expectOk(quant, 'mc plugins search quant');
    expect(JSON.parse(quant.stdout)).toEqual({
      kind: 'plugin-search',
      registry: registry.url,
      term: 'quant',
      items: [
        {
          name: 'mc-plugin-my-quant',
          version: '0.1.0',
          description: expect.stringMatching(/my-quant method/),
          keywords: ['mc-plugin', 'oclif-plugin'],
        },
      ],
    });
    const every = await mc(['plugins', 'search', '--json'], user);
    // @mc-kit/core, jest, typescript... are in the registry too, without the keyword
    expect((JSON.parse(every.stdout) as { items: { name: string }[] }).items.map((i) => i.name).sort()).toEqual([
      'mc-plugin-for-core-1',
      'mc-plugin-from-core-1',
      'mc-plugin-from-next-core',
      'mc-plugin-from-older-core',
      'mc-plugin-my-metric',
      'mc-plugin-my-quant',
      'mc-plugin-throws',
    ]);
    const human = await mc(['plugins', 'search', 'metric'], user);
    expect(human.stdout).toMatch(/mc-plugin-my-metric\s+│\s+0\.1\.0/);
    expect(human.stdout).toMatch(
      /1 mc plugin matching "metric" on http:\/\/127\.0\.0\.1:\d+\/; install one with: mc plugins install PACKAGE/,
    );
  }, 60_000);
});
