/**
 * assertWritableDir creates and removes a probe file in the output folder. A run SIGKILLed between the
 * two leaves `.probe.<pid>-<hex>.tmp` behind (the kill test caught one under load): the next run removes
 * probes whose writer is dead, and only those.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertWritableDir } from './atomic-write.js';

describe('assertWritableDir', () => {
  it("removes a dead run's probe file, and keeps a live run's probe and every other file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-probe-'));
    const dead = '.probe.999999999-deadbeef.tmp'; // no such pid
    const live = `.probe.${process.pid}-0badcafe.tmp`; // this process: alive
    const others = ['.probe.txt', '.model.onnx.999999999-deadbeef.tmp', 'model.onnx'];
    for (const name of [dead, live, ...others]) writeFileSync(join(dir, name), '');
    await assertWritableDir(dir);
    expect(readdirSync(dir).sort()).toEqual([live, ...others].sort());
  });

  it('refuses a folder that does not exist, in one line with a hint', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mc-probe-')), 'missing');
    await expect(assertWritableDir(dir, '--out x')).rejects.toMatchObject({
      code: 'E_UNWRITABLE',
      message: expect.stringContaining('does not exist'),
    });
  });
});
