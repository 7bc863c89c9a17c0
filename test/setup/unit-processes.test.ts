/**
 * The unit project starts no bin/mc and no server (test/setup/unit-processes.cjs): a unit test that
 * tries is stopped with a message that says where it belongs, and ordinary child processes still run.
 */
import { execFile, execFileSync, fork, spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// not from helpers/cli.ts: that imports @mc-kit/core/testing, a lot to transpile for two paths
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(REPO, 'bin', 'mc');

const E2E = /a unit test started bin\/mc \(mc\): .*name this test \*\.e2e\.test\.ts/;

describe('the unit project', () => {
  it('refuses to start bin/mc, however it is called', async () => {
    expect(() => spawn(process.execPath, [BIN, '--version'])).toThrow(E2E);
    expect(() => spawnSync(process.execPath, [BIN, '--version'])).toThrow(E2E);
    expect(() => execFileSync(BIN, ['--version'])).toThrow(E2E);
    expect(() => fork(BIN, ['--version'])).toThrow(E2E);
    await expect(promisify(execFile)(process.execPath, [BIN, '--version'])).rejects.toThrow(E2E);
  });

  it('refuses to start a server', () => {
    expect(() => spawn('redis-server', ['--port', '0'])).toThrow(/a unit test started a server \(redis-server\)/);
    expect(() => fork(join(REPO, 'test', 'helpers', 'verdaccio-server.cjs'), [])).toThrow(
      /a unit test started a server \(verdaccio-server\.cjs\)/,
    );
  });

  it('still runs other processes, with the results node gives', async () => {
    expect(spawnSync(process.execPath, ['-e', 'process.exit(3)']).status).toBe(3);
    await expect(promisify(execFile)(process.execPath, ['-e', 'process.stdout.write("ok")'])).resolves.toEqual({
      stdout: 'ok',
      stderr: '',
    });
  });
});
