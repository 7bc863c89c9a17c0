/**
 * mc eval --shards as a user runs it, on the shared LM: the BPC (and every raw sum behind it) of 3
 * shards run one after another, and of 3 'eval-shard' jobs run by 2 mc workers on a real
 * redis-server, equals the single-process run's bit for bit; what a sharded eval cannot do is one line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { redisProblem, startRedis, type RedisServer } from './helpers/redis.js';

const LM = join(SHARED, 'models/tiny-stdlib-lm');
const TEXT = join(SHARED, 'data/stdlib-text/valid.jsonl');
const bpcArgs = (results: string) => [
  'eval',
  LM,
  '--metric',
  'bpc',
  '--dataset',
  TEXT,
  '--limit',
  '1',
  '--block-size',
  '128',
  '--stride',
  '128',
  '--batch-size',
  '4',
  '--results',
  results,
  '--json',
];

interface Result {
  metric: { values: Record<string, { value: number }>; sums: Record<string, number>; details: { shards?: number } };
}

const problem = !HAS_SHARED ? undefined : !BUILT ? 'the build (npm run build)' : redisProblem();
if (!HAS_SHARED) warnSkip('the eval --shards end-to-end tests');
else if (problem) console.warn(`SKIPPED the eval --shards --queue end-to-end test: ${problem}`);
const describeShared = HAS_SHARED ? describe : describe.skip;
const itQueue = HAS_SHARED && !problem ? it : it.skip;

describeShared('mc eval --shards on the shared LM', () => {
  let single: Result;
  let redis: RedisServer | undefined;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    const run = await runMc(bpcArgs(tempDir('mc-shards-single-')));
    expect(run.code).toBe(0);
    single = JSON.parse(run.stdout) as Result;
    expect(single.metric.sums.windows).toBeGreaterThan(12); // enough batches of 4 for 3 shards
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await redis?.stop();
  });

  it('3 shards in this process: the BPC and its sums equal one run bit for bit', async () => {
    const run = await runMc([...bpcArgs(tempDir('mc-shards-local-')), '--shards', '3']);
    expect(run.code).toBe(0);
    const sharded = JSON.parse(run.stdout) as Result;
    expect(sharded.metric.values).toEqual(single.metric.values);
    expect(sharded.metric.sums).toEqual(single.metric.sums);
    expect(sharded.metric.details.shards).toBe(3);
  });

  itQueue('3 eval-shard jobs on 2 workers through Redis: the same BPC bit for bit, one result file', async () => {
    redis = await startRedis();
    const url = redis.url(3);
    const logs = ['', ''];
    for (const i of [0, 1]) {
      const w = spawn(process.execPath, [BIN, 'worker', '--queue', url], {
        cwd: REPO,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      w.stderr!.on('data', (d) => (logs[i] += String(d)));
      workers.push(w);
    }
    const results = tempDir('mc-shards-queue-');
    const run = await runMc([...bpcArgs(results), '--shards', '3', '--queue', url], { timeoutMs: 240_000 });
    expect(run.stdout + run.stderr).not.toMatch(/"code": "E_|^Error/m);
    expect(run.code).toBe(0);
    const sharded = JSON.parse(run.stdout) as Result;
    expect(sharded.metric.values.bpc.value).toBe(single.metric.values.bpc.value);
    expect(sharded.metric.sums).toEqual(single.metric.sums);
    const files = filesIn(results);
    expect(files).toHaveLength(1);
    expect((JSON.parse(readFileSync(join(results, files[0]), 'utf8')) as Result).metric.values).toEqual(
      single.metric.values,
    );
    const done = logs.join('').match(/job shard-\d \(eval-shard\): done in /g) ?? [];
    expect(done).toHaveLength(3);
    for (const w of workers) w.kill('SIGTERM');
  });

  it('a metric that cannot be split, or --shards with --resume: one line, exit 2, nothing written', async () => {
    const dir = tempDir('mc-shards-refused-');
    const before = filesIn(dir);
    const resume = await runMc([...bpcArgs(join(dir, 'r')).filter((a) => a !== '--json'), '--shards', '2', '--resume']);
    expectOneLineRefusal(resume, /--resume and --shards cannot be combined/, dir, before);
    const latency = await runMc(['eval', LM, '--metric', 'latency', '--shards', '2', '--results', join(dir, 'r')]);
    expectOneLineRefusal(latency, /--metric latency cannot be split into shards/, dir, before);
  });
});
