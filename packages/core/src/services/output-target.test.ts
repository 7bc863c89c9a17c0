import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveModelRef } from '../model-ref.js';
import { DataType } from '../onnx/dtypes.js';
import { OnnxModel } from '../onnx/model.js';
import { GraphBuilder } from '../testing/graph-builder.js';
import { planOutput, writeOutput } from './output-target.js';

function sourceFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-target-src-'));
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 4]);
  g.output(
    g.matMul(x, g.initializer('w', DataType.FLOAT, [4, 2], new Float32Array(8).fill(0.5))),
    DataType.FLOAT,
    [1, 2],
  );
  writeFileSync(join(dir, 'model.onnx'), g.toBytes());
  writeFileSync(join(dir, 'config.json'), '{"n_positions": 8}');
  writeFileSync(join(dir, 'tokenizer.json'), '{}');
  return dir;
}

const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('folder outputs are built under a staging name and renamed once', () => {
  it('runs verify on the staged model while the target does not exist yet, then shows the whole folder', async () => {
    const src = await resolveModelRef(sourceFolder());
    const parent = mkdtempSync(join(tmpdir(), 'mc-target-'));
    const out = join(parent, 'out');
    const target = await planOutput(out, src);
    const seen: string[][] = [];
    await writeOutput(target, await OnnxModel.load(src.path), src, {
      verify: async (staged) => {
        expect(existsSync(out)).toBe(false);
        expect(staged).toMatch(/\.out\.mc-stage-\d+-[0-9a-f]+\/model\.onnx$/);
        seen.push(readdirSync(join(staged, '..')).sort());
        await OnnxModel.load(staged);
      },
    });
    await target.release();
    expect(seen).toEqual([['config.json', 'model.onnx', 'tokenizer.json']]);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.onnx', 'tokenizer.json']);
    expect(readdirSync(parent)).toEqual(['out']); // no staging folder, no lock
  });

  it('leaves nothing when verify throws, and releases the target for the next run', async () => {
    const src = await resolveModelRef(sourceFolder());
    const parent = mkdtempSync(join(tmpdir(), 'mc-target-'));
    for (const out of [join(parent, 'out'), join(parent, 'm.onnx')]) {
      const target = await planOutput(out, src);
      await expect(
        writeOutput(target, await OnnxModel.load(src.path), src, {
          verify: async () => Promise.reject(new Error('does not load')),
        }),
      ).rejects.toThrow('does not load');
      await target.release();
      expect(readdirSync(parent)).toEqual([]);
      await (await planOutput(out, src)).release();
    }
  });

  it('removes the staging folder a SIGKILLed run left, and keeps those of live runs', async () => {
    const src = await resolveModelRef(sourceFolder());
    const parent = mkdtempSync(join(tmpdir(), 'mc-target-'));
    const stale = join(parent, `.out.mc-stage-${deadPid()}-0badcafe`);
    const live = join(parent, `.out.mc-stage-${process.pid}-00000000`);
    const staleTmp = join(parent, `.out.onnx.${deadPid()}-12345678.tmp`);
    for (const d of [stale, live]) mkdirSync(d);
    writeFileSync(join(stale, 'model.onnx'), 'half');
    writeFileSync(staleTmp, 'half');
    const target = await planOutput(join(parent, 'out'), src);
    await target.release();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(staleTmp)).toBe(true); // another target's leftovers are not ours to touch
  });

  it('refuses before any work: an empty --out, a .onnx name that is a folder, a folder that is not empty', async () => {
    const src = await resolveModelRef(sourceFolder());
    const parent = mkdtempSync(join(tmpdir(), 'mc-target-'));
    mkdirSync(join(parent, 'd.onnx'));
    mkdirSync(join(parent, 'full'));
    writeFileSync(join(parent, 'full', 'x'), 'x');
    await expect(planOutput('', src)).rejects.toMatchObject({ code: 'E_BAD_PARAM', message: '--out is empty' });
    await expect(planOutput(join(parent, 'd.onnx'), src)).rejects.toMatchObject({
      code: 'E_UNWRITABLE',
      message: expect.stringContaining('is a folder'),
    });
    await expect(planOutput(join(parent, 'full'), src)).rejects.toMatchObject({
      code: 'E_UNWRITABLE',
      message: expect.stringContaining('already exists'),
    });
    expect(readdirSync(parent).sort()).toEqual(['d.onnx', 'full']); // no lock left behind
  });

  it('refuses to copy a companion file that links out of the source folder', async () => {
    const dir = sourceFolder();
    const secret = join(mkdtempSync(join(tmpdir(), 'mc-secret-')), 'passwd');
    writeFileSync(secret, 'root:x:0:0');
    symlinkSync(secret, join(dir, 'tokenizer_config.json'));
    const src = await resolveModelRef(dir);
    const parent = mkdtempSync(join(tmpdir(), 'mc-target-'));
    const target = await planOutput(join(parent, 'out'), src);
    await expect(writeOutput(target, await OnnxModel.load(src.path), src)).rejects.toMatchObject({
      code: 'E_BAD_MODEL',
      message: expect.stringContaining('leads outside'),
    });
    await target.release();
    expect(readdirSync(parent)).toEqual([]);
    expect(readFileSync(secret, 'utf8')).toBe('root:x:0:0');
  });
});
