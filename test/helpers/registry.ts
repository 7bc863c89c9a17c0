/**
 * A real npm registry for the end-to-end tests: verdaccio 5 on 127.0.0.1, storage in a temp folder,
 * no uplinks (nothing leaves the machine), one user created by the test. npm commands run with an
 * environment that points only at it (own userconfig with the token, own cache).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './cli.js';
import { captureRun, type Run } from './process.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface LocalRegistry {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  /** verdaccio's storage folder (packages as published) */
  readonly storage: string;
  /** environment for npm (and for mc, whose plugin commands run npm) that reaches this registry only */
  readonly env: Record<string, string>;
  readonly token: string;
  stop(): Promise<void>;
}

export type { Run } from './process.js';

/**
 * Start verdaccio; it exits by itself after `limitMs` even if stop() is never called. `storageFrom`
 * starts it with a copy of another registry's storage (packages only: users and tokens are its own).
 */
export async function startRegistry(limitMs: number, options: { storageFrom?: string } = {}): Promise<LocalRegistry> {
  const home = tempDir('mc-registry-');
  const config = join(home, 'config.json');
  const storage = join(home, 'storage');
  if (options.storageFrom) cpSync(options.storageFrom, storage, { recursive: true });
  writeFileSync(
    config,
    JSON.stringify({
      storage,
      auth: { htpasswd: { file: join(home, 'htpasswd'), max_users: 10 } },
      uplinks: {},
      packages: {
        '@*/*': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' },
        '**': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' },
      },
      publish: { allow_offline: true },
      max_body_size: '300mb',
      web: { enable: false },
      middlewares: { audit: { enabled: false } },
      log: { type: 'stdout', format: 'pretty', level: 'error' },
    }),
  );
  const child: ChildProcess = fork(join(HERE, 'verdaccio-server.cjs'), [config, String(limitMs)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let log = '';
  child.stdout?.on('data', (d) => (log += String(d)));
  child.stderr?.on('data', (d) => (log += String(d)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`verdaccio did not start in 30 s: ${log}`)), 30_000);
    child.once('message', (m) => (clearTimeout(timer), resolve((m as { port: number }).port)));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`verdaccio exited (${code}): ${log}`))));
  });
  const url = `http://127.0.0.1:${port}/`;
  /** Stop verdaccio and remove its storage, npm cache and config. */
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    const token = await addUser(url, 'mc-e2e', createHash('sha256').update(home).digest('hex'));
    const npmrc = join(home, 'npmrc');
    writeFileSync(
      npmrc,
      `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\naudit=false\nfund=false\nupdate-notifier=false\n`,
    );
    mkdirSync(join(home, 'npm-cache'));
    // npm_* variables of an enclosing `npm test` (prefix, workspace, user agent...) must not leak in,
    // nor jest's NODE_ENV=test (oclif adds developer warnings under it): a user's environment.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k, v]) => v !== undefined && !/^npm_/i.test(k) && k !== 'NODE_ENV'),
    ) as Record<string, string>;
    const env = {
      ...inherited,
      npm_config_registry: url,
      npm_config_userconfig: npmrc,
      npm_config_globalconfig: join(home, 'npmrc-global'),
      npm_config_cache: join(home, 'npm-cache'),
      ONNXRUNTIME_NODE_INSTALL: 'skip',
      NO_COLOR: '1',
    };
    writeFileSync(env.npm_config_globalconfig, '');
    return { url, storage, env, token, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function addUser(url: string, name: string, password: string): Promise<string> {
  const res = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      _id: `org.couchdb.user:${name}`,
      name,
      password,
      type: 'user',
      roles: [],
      date: new Date().toISOString(),
    }),
  });
  const body = (await res.json()) as { token?: string };
  if (!res.ok || !body.token) throw new Error(`verdaccio adduser: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

/** Publish a tarball as `npm publish` does (one PUT with the manifest and the tarball attached). */
export async function publishTarball(
  registry: LocalRegistry,
  manifest: Record<string, unknown> & { name: string; version: string },
  tarball: Buffer,
): Promise<void> {
  const file = `${manifest.name}-${manifest.version}.tgz`;
  const version = {
    ...manifest,
    _id: `${manifest.name}@${manifest.version}`,
    dist: {
      shasum: createHash('sha1').update(tarball).digest('hex'),
      integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
      tarball: `${registry.url}${manifest.name}/-/${file.replace(/^@[^/]+\//, '')}`,
    },
  };
  const res = await fetch(`${registry.url}${manifest.name.replace('/', '%2f')}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${registry.token}` },
    body: JSON.stringify({
      _id: manifest.name,
      name: manifest.name,
      description: manifest.description ?? '',
      'dist-tags': { latest: manifest.version },
      versions: { [manifest.version]: version },
      _attachments: {
        [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length },
      },
    }),
  });
  if (!res.ok) throw new Error(`publish ${manifest.name}@${manifest.version}: ${res.status} ${await res.text()}`);
}

/** Run a command (npm, node) with the registry's environment; never throws on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<Run> {
  return captureRun(command, args, {
    cwd: options.cwd,
    env: options.env,
    shell: process.platform === 'win32',
    timeoutMs: options.timeoutMs ?? 180_000,
  });
}

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
