// Issue 20: sweeps on a Redis queue. An 8-point sweep (mnist-cnn, prune --sparsity 0..0.7, top-1 on
// mnist-test --limit 500) run locally, then with --queue and 1 and 2 local `mc worker`s (started
// beforehand, so process start-up is not counted), on a redis-server started here (Debian's
// redis-server; the benchmark says so and stops where it is missing). Queue overhead per job is the
// queued 1-worker wall time minus the local one, over the points: job hand-off, the coordinator's
// 1 s poll, each job's own session start-up. Sharded vs single BPC is the shards engineer's line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN, REPO, table } from './lib/measure.mjs';

const SHARED = resolve(REPO, '../shared');
const POINTS = '0,0.1,0.2,0.3,0.4,0.5,0.6,0.7';
const COUNT = POINTS.split(',').length;

export function freePort() {
  return new Promise((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

/** A child that has printed `ready` on stdout or stderr. */
export function startUntil(cmd, args, ready) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  return new Promise((done, fail) => {
    let said = '';
    const listen = (d) => {
      said += String(d);
      if (said.includes(ready)) done(child);
    };
    child.stdout.on('data', listen);
    child.stderr.on('data', listen);
    child.on('exit', (code) => fail(new Error(`${cmd} exited ${code}: ${said.trim().split('\n').pop()}`)));
  });
}

export async function stop(child) {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

function sweep(dir, name, extra) {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'sweep',
      join(SHARED, 'models/mnist-cnn'),
      '--method',
      'prune',
      '--sweep',
      POINTS,
      '--metric',
      'accuracy',
      '--dataset',
      join(SHARED, 'data/mnist-test'),
      '--limit',
      '500',
      '--probes',
      '0',
      '--out',
      join(dir, name),
      '--results',
      join(dir, `${name}-results`),
      '--json',
      ...extra,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) throw new Error(`sweep ${name} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return (performance.now() - t0) / 1000;
}

export async function benchQueue() {
  if (spawnSync('redis-server', ['--version']).error) {
    console.log('skipped: redis-server not found (apt-get install -y redis-server)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-queue-'));
  const port = await freePort();
  const redis = await startUntil(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    'Ready to accept connections',
  );
  try {
    const local = sweep(dir, 'local', []);
    const rows = [['local (no queue)', local.toFixed(1), '1.00x']];
    let oneWorker;
    for (const n of [1, 2]) {
      const url = `redis://127.0.0.1:${port}/${n}`;
      const workers = await Promise.all(
        Array.from({ length: n }, () =>
          startUntil(process.execPath, [BIN, 'worker', '--queue', url], 'waiting for jobs'),
        ),
      );
      try {
        const wall = sweep(dir, `queued-${n}`, ['--queue', url]);
        if (n === 1) oneWorker = wall;
        rows.push([`--queue, ${n} worker${n > 1 ? 's' : ''}`, wall.toFixed(1), `${(local / wall).toFixed(2)}x`]);
      } finally {
        await Promise.all(workers.map(stop));
      }
    }
    console.log(
      `${COUNT}-point sweep, mnist-cnn prune ${POINTS}, top-1 on mnist-test --limit 500; ${cpus().length} cores, workers on this machine`,
    );
    console.log(table(['run', 'wall s', 'speed-up'], rows));
    console.log(
      `queue overhead per job: ${(((oneWorker - local) / COUNT) * 1000).toFixed(0)} ms ((1-worker wall - local wall) / ${COUNT} points)`,
    );
    console.log(
      `note: on ${cpus().length} cores shared by the coordinator, the workers and Redis, the 2-worker ratio shows the queue's overhead more than a speed-up; workers on separate machines divide the points' time`,
    );
    console.log('sharded vs single BPC: the eval-shards benchmark (npm run bench eval-shards)');
  } finally {
    await stop(redis);
    rmSync(dir, { recursive: true, force: true });
  }
}
