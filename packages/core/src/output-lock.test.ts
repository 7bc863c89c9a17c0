import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockOutput, lockPathFor } from './output-lock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'mc-lock-'));

/** A pid that certainly does not run: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('output lock', () => {
  it('is exclusive: a second taker is refused naming the holder, and may take it once released', async () => {
    const target = join(dir(), 'out');
    const lock = await lockOutput(target);
    const holder = JSON.parse(readFileSync(lockPathFor(target), 'utf8')) as { pid: number; host: string };
    expect(holder).toMatchObject({ pid: process.pid, host: hostname() });
    await expect(lockOutput(target)).rejects.toMatchObject({
      code: 'E_OUTPUT_LOCKED',
      exitCode: 2,
      message: expect.stringContaining(`pid ${process.pid}`),
    });
    await lock.release();
    expect(existsSync(lockPathFor(target))).toBe(false);
    await (await lockOutput(target)).release();
  });

  it('takes over the lock of a process that no longer runs (a SIGKILLed run)', async () => {
    const target = join(dir(), 'out.onnx');
    writeFileSync(
      lockPathFor(target),
      JSON.stringify({ pid: deadPid(), host: hostname(), command: 'mc compress', started: '2020-01-01T00:00:00Z' }),
    );
    const lock = await lockOutput(target);
    expect(JSON.parse(readFileSync(lockPathFor(target), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it("never takes over another host's lock, even of a pid unknown here", async () => {
    const target = join(dir(), 'out');
    writeFileSync(
      lockPathFor(target),
      JSON.stringify({ pid: deadPid(), host: 'elsewhere', command: 'mc compress', started: 'now' }),
    );
    await expect(lockOutput(target)).rejects.toMatchObject({
      code: 'E_OUTPUT_LOCKED',
      message: expect.stringContaining('on elsewhere'),
    });
  });
});
