// Issue 20 item 3: mc eval --shards. BPC of the shared LM (tiny-stdlib-lm, stdlib-text valid.jsonl
// --limit 4, block 128, stride 128) in one process, in 4 shards one after another in one process (each
// shard loads the model and tokenizes the whole corpus again: that is the cost of splitting here), and
// in 4 'eval-shard' jobs on 2 local `mc worker`s through a redis-server started here (workers started
// beforehand). Every run's BPC is checked equal to the single run's, bit for bit.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN, REPO, table } from './lib/measure.mjs';
import { freePort, startUntil, stop } from './queue.mjs';

const SHARED = resolve(REPO, '../shared');
const SHARDS = 4;

function bpc(dir, name, extra) {
  const args = [
    BIN,
    'eval',
    join(SHARED, 'models/tiny-stdlib-lm'),
    '--metric',
    'bpc',
    '--dataset',
    join(SHARED, 'data/stdlib-text/valid.jsonl'),
    '--limit',
    '4',
    '--block-size',
    '128',
    '--stride',
    '128',
    '--batch-size',
    '4',
    '--results',
    join(dir, name),
    '--json',
    ...extra,
  ];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`eval ${name} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  const result = JSON.parse(r.stdout);
  return {
    wall: (performance.now() - t0) / 1000,
    value: result.metric.values.bpc.value,
    windows: result.metric.sums.windows,
  };
}

export async function benchEvalShards() {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-shards-'));
  try {
    const single = bpc(dir, 'single', []);
    const runs = [['one process', single]];
    runs.push([`--shards ${SHARDS}, in-process`, bpc(dir, 'local', ['--shards', String(SHARDS)])]);
    if (spawnSync('redis-server', ['--version']).error) {
      console.log('--queue row skipped: redis-server not found (apt-get install -y redis-server)');
    } else {
      const port = await freePort();
      const redis = await startUntil(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
        'Ready to accept connections',
      );
      const url = `redis://127.0.0.1:${port}/0`;
      const workers = await Promise.all(
        [0, 1].map(() => startUntil(process.execPath, [BIN, 'worker', '--queue', url], 'waiting for jobs')),
      );
      try {
        runs.push([
          `--shards ${SHARDS} --queue, 2 workers`,
          bpc(dir, 'queued', ['--shards', String(SHARDS), '--queue', url]),
        ]);
      } finally {
        await Promise.all(workers.map(stop));
        await stop(redis);
      }
    }
    console.log(
      `BPC, tiny-stdlib-lm on stdlib-text valid.jsonl --limit 4 (${single.windows} windows of 128 tokens, batches of 4); ${cpus().length} cores, workers on this machine`,
    );
    console.log(
      table(
        ['run', 'wall s', 'vs one process', 'BPC', 'equal bit for bit'],
        runs.map(([name, r]) => [
          name,
          r.wall.toFixed(1),
          `${(r.wall / single.wall).toFixed(2)}x`,
          r.value.toPrecision(17),
          Object.is(r.value, single.value) ? 'yes' : 'NO',
        ]),
      ),
    );
    console.log(
      `note: each shard loads the model and tokenizes the whole corpus; on ${cpus().length} shared cores the shards cost more wall time than they save. Workers on separate machines divide the scoring time.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
