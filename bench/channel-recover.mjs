// Issue 22 item 3: channel pruning that recovers. digits-unet (Dice on digits-seg-test-mini, 16
// images) at --ratio 0.1 / 0.25 / 0.5 and mnist-cnn (top-1 on mnist-test --limit 1872) at 0.25 /
// 0.5, each with --recover none (L1, no refit: the behaviour without calibration data), refit (L1 +
// least-squares refit) and obs (greedy OBS choice + refit), calibrated on the disjoint slices
// digits-seg-calib / mnist-calib (128 images, seed 0). Compress wall time and peak RSS per run
// (VmHWM of the mc process). BENCH_CR_MODELS=unet,mnist picks models.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN, REPO, mcWithPeakRss, mib, table } from './lib/measure.mjs';

const SHARED = resolve(REPO, '../shared');
const MODELS = (process.env.BENCH_CR_MODELS ?? 'unet,mnist').split(',');
const CASES = {
  unet: {
    model: join(SHARED, 'models/digits-unet'),
    calib: join(SHARED, 'data/digits-seg-calib'),
    evalArgs: ['--metric', 'dice', '--dataset', join(SHARED, 'data/digits-seg-test-mini')],
    value: (r) => r.metric.values.dice.value,
    name: 'Dice (digits-seg-test-mini)',
    ratios: ['0.1', '0.25', '0.5'],
  },
  mnist: {
    model: join(SHARED, 'models/mnist-cnn'),
    calib: join(SHARED, 'data/mnist-calib'),
    evalArgs: ['--metric', 'accuracy', '--dataset', join(SHARED, 'data/mnist-test'), '--limit', '1872'],
    value: (r) => r.metric.values.top1.value,
    name: 'top-1 (mnist-test --limit 1872)',
    ratios: ['0.25', '0.5'],
  },
};

function evaluate(model, c, results) {
  const r = spawnSync(process.execPath, [BIN, 'eval', model, ...c.evalArgs, '--results', results, '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) return `error: ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
  return c.value(JSON.parse(r.stdout)).toFixed(4);
}

export async function benchChannelRecover() {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-cr-'));
  const results = join(dir, 'results');
  try {
    for (const key of MODELS) {
      const c = CASES[key];
      const dense = evaluate(c.model, c, results);
      console.log(`${key}: ${c.name}, dense ${dense}; calibration ${c.calib} (128 images, seed 0)`);
      const rows = [];
      for (const ratio of c.ratios) {
        for (const recover of ['none', 'refit', 'obs']) {
          const out = join(dir, `${key}-${ratio}-${recover}`);
          const args = [
            'compress',
            c.model,
            '--method',
            'prune',
            '--algo',
            'channel',
            '--ratio',
            ratio,
            '--recover',
            recover,
            ...(recover === 'none' ? [] : ['--calib-dataset', c.calib]),
            '--out',
            out,
            '--results',
            results,
            '--json',
          ];
          const { wall, peakRss } = mcWithPeakRss(args);
          const value = evaluate(out, c, results);
          rows.push([ratio, recover, value, (Number(value) - Number(dense)).toFixed(4), wall.toFixed(1), mib(peakRss)]);
          console.log(`  ${rows.at(-1).join('  ')}`);
        }
      }
      console.log(table(['ratio', 'recover', 'value', 'vs dense', 'compress wall s', 'peak RSS'], rows));
      console.log('');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
