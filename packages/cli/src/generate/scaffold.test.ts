import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compressor, Registry, type Compressor } from '@mc-kit/core';
import { generatePlugin, TEMPLATE_KINDS, type GenerateRequest } from './scaffold.js';

const TEMPLATES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../templates');
const TEMPLATE_TOKENS = [
  'round-weights',
  'RoundWeights',
  'ROUND_WEIGHTS',
  'cross-entropy',
  'CrossEntropy',
  'CROSS_ENTROPY',
  'csv-images',
  'CsvImages',
  'CSV_IMAGES',
  'template-',
  'mcTemplate',
];

function request(over: Partial<GenerateRequest> & Pick<GenerateRequest, 'kind' | 'name'>): GenerateRequest {
  return {
    coreVersion: '0.1.0',
    bin: 'mc',
    templatesDir: TEMPLATES,
    cwd: mkdtempSync(join(tmpdir(), 'mc-generate-')),
    ...over,
  };
}

function registryWith(id: string): Registry {
  const registry = new Registry();
  const c: Compressor = {
    id,
    summary: 's',
    params: [],
    compress: async () => ({ method: id, params: {}, tensors: [], notes: [] }),
  };
  registry.add(
    { name: 'mc-plugin-other', version: '1.2.3' },
    compressor(() => c),
  );
  return registry;
}

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

describe('generatePlugin', () => {
  it('copies the compressor template with the package, id and class renamed', async () => {
    const req = request({ kind: 'compressor', name: 'my-quant' });
    const report = await generatePlugin(req, new Registry());
    expect(report).toMatchObject({
      kind: 'generate',
      template: 'compressor',
      id: 'my-quant',
      package: 'mc-plugin-my-quant',
      className: 'MyQuantCompressor',
      dir: join(req.cwd!, 'mc-plugin-my-quant'),
    });
    expect(report.next).toEqual([
      'cd mc-plugin-my-quant && npm install',
      'npm run build && npm test',
      `mc plugins link ${report.dir}`,
    ]);
    expect(report.files).toEqual(
      expect.arrayContaining([
        '.gitignore',
        '.npmrc',
        'README.md',
        'jest.config.js',
        'jest.setup.cjs',
        'package.json',
        'src/plugin.ts',
        'src/plugin.test.ts',
        'src/register.ts',
        'tsconfig.json',
      ]),
    );
    expect(report.files).not.toContain('gitignore');
    expect(report.files).not.toContain('npmrc');
    expect(read(report.dir, '.npmrc')).toMatch(/^onnxruntime-node-install=skip$/m);
    expect(report.files.some((f) => f.startsWith('dist/') || f.startsWith('node_modules/'))).toBe(false);

    const pkg = JSON.parse(read(report.dir, 'package.json'));
    expect(pkg).toMatchObject({
      name: 'mc-plugin-my-quant',
      version: '0.1.0',
      keywords: ['mc-plugin', 'oclif-plugin'],
      peerDependencies: { '@mc-kit/core': '^0.1.0' },
      oclif: { hooks: { 'mc:register': './dist/register.js' } },
    });
    expect(pkg.devDependencies['@mc-kit/core']).toBe('0.1.0');
    expect(pkg.private).toBeUndefined();
    expect(read(report.dir, 'src/plugin.ts')).toMatch(
      /export class MyQuantCompressor implements Compressor \{\n {2}readonly id = 'my-quant';/,
    );
    expect(read(report.dir, 'src/plugin.ts')).toMatch(/export const MY_QUANT_PARAMS/);
    expect(read(report.dir, 'README.md')).toMatch(/^# mc-plugin-my-quant\n/);
    for (const file of report.files)
      for (const token of TEMPLATE_TOKENS)
        expect([file, read(report.dir, file).includes(token)]).toEqual([file, false]);
    expect(readdirSync(req.cwd!)).toEqual(['mc-plugin-my-quant']); // no staging folder left
  });

  it.each(TEMPLATE_KINDS)('%s: every template renames to the core version it is given', async (kind) => {
    const report = await generatePlugin(
      request({ kind, name: 'my-thing', coreVersion: '0.7.2', dir: 'sub/dir/x' }),
      new Registry(),
    );
    expect(report.className).toBe(`MyThing${kind[0].toUpperCase()}${kind.slice(1)}`);
    expect(report.next[0]).toBe('cd sub/dir/x && npm install');
    const pkg = JSON.parse(read(report.dir, 'package.json'));
    expect([pkg.peerDependencies['@mc-kit/core'], pkg.devDependencies['@mc-kit/core']]).toEqual(['^0.7.2', '0.7.2']);
    expect(report.coreSpec).toBe('0.7.2');
    expect(readdirSync(join(report.dir, 'src')).join(' ')).toMatch(/register\.ts/);
    expect(read(report.dir, 'src/register.ts')).toContain(`new MyThing${kind[0].toUpperCase()}${kind.slice(1)}()`);
  });

  it('takes another spec for the core dev dependency (a checkout, while core is not on the registry)', async () => {
    const report = await generatePlugin(
      request({ kind: 'compressor', name: 'local', coreSpec: 'file:/src/mc/packages/core' }),
      new Registry(),
    );
    const pkg = JSON.parse(read(report.dir, 'package.json'));
    expect([pkg.peerDependencies['@mc-kit/core'], pkg.devDependencies['@mc-kit/core']]).toEqual([
      '^0.1.0',
      'file:/src/mc/packages/core',
    ]);
  });

  it('never writes into an existing folder', async () => {
    const req = request({ kind: 'metric', name: 'my-metric', dir: 'taken' });
    mkdirSync(join(req.cwd!, 'taken'));
    writeFileSync(join(req.cwd!, 'taken', 'keep.txt'), 'mine');
    await expect(generatePlugin(req, new Registry())).rejects.toMatchObject({
      code: 'E_TARGET_EXISTS',
      exitCode: 2,
      message: 'taken already exists; mc generate never writes into an existing folder',
    });
    expect(readdirSync(join(req.cwd!, 'taken'))).toEqual(['keep.txt']);
    expect(readdirSync(req.cwd!)).toEqual(['taken']);
  });

  it('a folder that cannot be made is one line, exit code 2', async () => {
    const req = request({ kind: 'compressor', name: 'my-quant', dir: 'a-file/sub' });
    writeFileSync(join(req.cwd!, 'a-file'), '');
    await expect(generatePlugin(req, new Registry())).rejects.toMatchObject({
      code: 'E_UNWRITABLE',
      exitCode: 2,
      message: 'cannot create a-file/sub: a file is in the way',
    });
  });

  it('refuses an id an installed plugin already provides, naming it', async () => {
    const req = request({ kind: 'compressor', name: 'int9' });
    await expect(generatePlugin(req, registryWith('int9'))).rejects.toMatchObject({
      code: 'E_DUPLICATE_ID',
      exitCode: 2,
      message: 'method id "int9" is already provided by mc-plugin-other@1.2.3',
    });
    // the same id as another kind is fine: ids are per kind
    await expect(
      generatePlugin(request({ kind: 'metric', name: 'int9' }), registryWith('int9')),
    ).resolves.toMatchObject({ id: 'int9' });
    expect(existsSync(join(req.cwd!, 'mc-plugin-int9'))).toBe(false);
  });

  it('refuses a bad name before touching the disk', async () => {
    const req = request({ kind: 'dataset', name: 'My Data' });
    await expect(generatePlugin(req, new Registry())).rejects.toMatchObject({ code: 'E_BAD_PARAM', exitCode: 2 });
    expect(readdirSync(req.cwd!)).toEqual([]);
  });
});
