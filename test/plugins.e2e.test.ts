/**
 * Community plugins as a user meets them: a compiled plugin under test/fixtures is linked with
 * `mc plugins link`, `mc list` names it, and `mc compress --method` runs it on a real model. A
 * plugin whose hook throws leaves mc working, with one warning line naming it.
 */
import { copyFileSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxModel } from '@mc-kit/core';
import { EXAMPLES, REPO, lines, runMc, tempDir } from './helpers/cli.js';

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
    const items = (JSON.parse(list.stdout) as { items: { kind: string; id: string; plugin: string; version: string }[] }).items;
    expect(items).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'method', id: 'scale', plugin: 'mc-plugin-scale', version: '1.0.0' })]));
    expect(items).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'method', id: 'int8', plugin: '@mc-kit/plugin-quant' })]));

    const dir = tempDir();
    const out = join(dir, 'scaled.onnx');
    const run = await runMc(['compress', MODEL, '--method', 'scale', '--factor', '3', '--out', out, '--results', join(dir, 'results'), '--json'], { env });
    // every weight x3 through ReLUs and a final layer: the logits move far, and mc says so (stderr, even under --json)
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^warning: large drift from the dense model \(logits: relative error \d+%, top-1 agreement \d+%; large means/)]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { steps: { method: string; tensors: unknown[] }[]; versions: { plugins: Record<string, string> } };
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
    expect(lines(list.stderr)).toEqual(['warning: plugin mc-plugin-broken failed to load and was skipped: database of weights not found (fixture failure)']);
    expect(list.stdout).toMatch(/int8/);
    expect(list.stdout).toMatch(/accuracy/);

    const dir = tempDir();
    const run = await runMc(['compress', MODEL, '--method', 'int8', '--out', join(dir, 'q.onnx'), '--results', join(dir, 'r')], { env });
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
    expect(run.stderr).toMatch(/method id "scale" is declared by mc-plugin-scale@1\.0\.0 and by mc-plugin-scale-twin@1\.0\.0/);
    const ok = await runMc(['list', '--json'], { env });
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { conflicts: string[] }).conflicts).toHaveLength(2);
  });
});
