// Latency benchmarks (issue 19 item 4): `mc eval --metric latency --baseline DENSE` on dense, int8,
// int4, hyper (--decode load and --decode run) and a channel-pruned model, as ratios to dense, on
// mnist-cnn, digits-unet and the shared LM (channel pruning applies to Conv models only). Each model
// runs in a child process of its own; 1 intra-op thread (steadier on a shared machine), CPU.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN, REPO, table } from './lib/measure.mjs';

const SHARED = resolve(REPO, '../shared');
const RUNS = 30;
const WARMUP = 5;

const MODELS = [
  ['mnist-cnn', join(SHARED, 'models/mnist-cnn'), [], true],
  ['digits-unet', join(SHARED, 'models/digits-unet'), ['--preset', 'unet'], true],
  ['tiny-stdlib-lm (1 x 128 tokens)', join(SHARED, 'models/tiny-stdlib-lm'), ['--preset', 'llm'], false],
];

function variants(hyper, conv) {
  return [
    ['int8', ['--method', 'int8']],
    ['int4', ['--method', 'int4']],
    ['hyper --decode load', ['--method', 'hyper', ...hyper, '--decode', 'load']],
    ['hyper --decode run', ['--method', 'hyper', ...hyper, '--decode', 'run']],
    ...(conv
      ? [['prune --algo channel --ratio 0.25', ['--method', 'prune', '--algo', 'channel', '--ratio', '0.25']]]
      : []),
  ];
}

function latency(model, dense, dir) {
  const out = execFileSync(
    process.execPath,
    [
      BIN,
      'eval',
      model,
      '--metric',
      'latency',
      '--baseline',
      dense,
      '--runs',
      String(RUNS),
      '--warmup',
      String(WARMUP),
      '--threads',
      '1',
      '--seq-len',
      '128',
      '--device',
      'cpu',
      '--json',
      '--results',
      join(dir, 'results'),
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out).metric;
}

export async function benchLatency() {
  if (!existsSync(SHARED)) {
    console.log('latency benchmarks skipped: ../shared is not beside the repository');
    return;
  }
  for (const [name, dense, hyper, conv] of MODELS) {
    const dir = mkdtempSync(join(tmpdir(), 'mc-bench-latency-'));
    const rows = [];
    const self = latency(dense, dense, dir);
    const d = self.details.baseline;
    rows.push([
      'dense',
      '1.00',
      '1.00',
      '1.00',
      '1.00',
      self.values.p50_ms.value.toFixed(3),
      self.values.peak_rss_mib.value.toFixed(1),
    ]);
    for (const [label, args] of variants(hyper, conv)) {
      const out = join(dir, label.replace(/[^a-z0-9]+/g, '-'));
      const c = spawnSync(
        process.execPath,
        [BIN, 'compress', dense, ...args, '--out', out, '--results', join(dir, 'results')],
        { encoding: 'utf8' },
      );
      if (c.status !== 0) {
        rows.push([label, `not run: ${(c.stderr.trim().split('\n')[0] ?? '').slice(0, 70)}`, '', '', '', '', '']);
        continue;
      }
      const m = latency(out, dense, dir);
      const r = (k) => m.values[k].value.toFixed(2);
      rows.push([
        label,
        r('p50_ratio'),
        r('p90_ratio'),
        r('start_ratio'),
        r('peak_rss_ratio'),
        m.values.p50_ms.value.toFixed(3),
        m.values.peak_rss_mib.value.toFixed(1),
      ]);
    }
    console.log(
      `${name}: ${RUNS} runs after ${WARMUP} warm-up, ratios to dense (dense p50 ${self.values.p50_ms.value.toFixed(3)} ms, start ${self.values.start_ms.value.toFixed(1)} ms; dense against itself: p50 ratio ${self.values.p50_ratio.value.toFixed(2)}, the noise floor; base RSS ${d.baseRssMiB.toFixed(0)} MiB)`,
    );
    console.log(
      table(['model', 'p50 ratio', 'p90 ratio', 'start ratio', 'peak RSS ratio', 'p50 ms', 'peak RSS MiB'], rows),
    );
    console.log('');
  }
}
