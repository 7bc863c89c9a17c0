/**
 * A real redis-server for the queue tests: one per test file, on a free localhost port, in a temp
 * folder, with nothing saved to disk. Tests that need it skip, with one line saying why, only where
 * the binary is missing or does not run (`.ci/run` installs Debian's redis-server).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = process.env.MC_REDIS_SERVER ?? 'redis-server';

/** Why redis-server cannot be used here, or undefined when it can. Synchronous, so a file can pick describe or describe.skip. */
export function redisProblem(): string | undefined {
  const r = spawnSync(BINARY, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return `${BINARY} not found (apt-get install -y redis-server, or set MC_REDIS_SERVER)`;
  return r.status === 0 ? undefined : `${BINARY} --version exited ${r.status}`;
}

export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:PORT/DB, with user:password@ when given */
  url(db?: number, auth?: string): string;
  /** SIGKILL-free stop: SIGTERM, then wait for the process to go; removes its folder */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(
      () => reject(new Error(`redis-server not ready after ${timeoutMs} ms: ${said}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (d) => {
      said += String(d);
      if (said.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited ${code}: ${said.trim().split('\n').pop()}`));
    });
  });
}

/** Start a redis-server (extra arguments such as `--requirepass secret` are passed on). */
export async function startRedis(extra: readonly string[] = []): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      BINARY,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      await waitReady(child, 15_000);
    } catch (e) {
      child.kill('SIGKILL');
      if (attempt < 2) continue; // the port was taken between freePort and the bind
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return {
      port,
      url: (db = 0, auth) => `redis://${auth ? `${auth}@` : ''}127.0.0.1:${port}/${db}`,
      stop: async () => {
        if (child.exitCode === null) {
          const gone = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await gone;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
