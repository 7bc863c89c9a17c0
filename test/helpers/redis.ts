/**
 * A real redis-server for the queue tests: one per test file, on a free localhost port, in a temp
 * folder, with nothing saved to disk. Tests that need it skip, with one line saying why, only where
 * the binary is missing or does not run (`.ci/run` installs Debian's redis-server).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  /** redis://127.0.0.1:PORT/DB (rediss:// with TLS), with user:password@ when given */
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

/** PEM files for a TLS server on 127.0.0.1, signed by a CA of their own (openssl, in `dir`). */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export function makeTlsFiles(dir: string): TlsFiles {
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr || r.error?.message}`);
  };
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=mc test CA',
  );
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  );
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.pem'),
    '-days',
    '2',
    '-extfile',
    f('san.ext'),
  );
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

/**
 * Start a redis-server (extra arguments such as `--requirepass secret` are passed on). With `tls`,
 * it listens on TLS only (the port url() names, as rediss://) and does not ask clients for certificates.
 */
export async function startRedis(extra: readonly string[] = [], tls?: TlsFiles): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-redis-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      BINARY,
      [
        ...(tls
          ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key]
          : ['--port', String(port)]),
        ...(tls ? ['--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no'] : []),
        ...['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extra],
      ],
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
      url: (db = 0, auth) => `${tls ? 'rediss' : 'redis'}://${auth ? `${auth}@` : ''}127.0.0.1:${port}/${db}`,
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
