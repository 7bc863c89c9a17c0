// prune benchmarks (issue 9), run with `node bench/run.js prune` after building:
//  1. the shared LM: BPC (block 512, stride 128) after magnitude / Wanda / SparseGPT at 0.2..0.8 and
//     2:4, 4:8, with compress time. By default BPC is measured on the first BENCH_LIMIT (5) records of
//     stdlib-text/valid.jsonl (~320 windows); BENCH_FULL=1 uses all 93 records (1,221 windows).
//     Wanda and SparseGPT calibrate on BENCH_CALIB (16) windows of 512 tokens of the same file
//     (seed 0): a small setting for a 2-core machine, stated with the numbers.
//  2. mnist-cnn (accuracy, mnist-test) and digits-unet (Dice, digits-seg-test when the dice metric is
//     installed): dense, channel pruning at two ratios, hyper, prune + hyper (when hyper is installed).
//  3. peak RSS of a SparseGPT run on the shared LM, and the largest X^T X held at once vs all of them.
// BENCH_PRUNE_PARTS=lm,vision,rss picks parts. Timings on a shared machine are pessimistic.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN, REPO, mib, table } from './lib/measure.mjs';

const SHARED = resolve(REPO, '../shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const TEXT = join(SHARED, 'data/stdlib-text/valid.jsonl');
const FULL = process.env.BENCH_FULL === '1';
const LIMIT = Number(process.env.BENCH_LIMIT ?? 5);
const CALIB = Number(process.env.BENCH_CALIB ?? 16);
const PARTS = (process.env.BENCH_PRUNE_PARTS ?? 'lm,vision,rss').split(',');

function mc(args) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) return { error: (r.stderr || r.stdout).trim().split('\n').pop() };
  return JSON.parse(r.stdout);
}

function has(kind, id) {
  const r = spawnSync(process.execPath, [BIN, 'list', '--kind', kind], { encoding: 'utf8' });
  return new RegExp(`│ ${id}\\s`).test(r.stdout);
}

function compress(model, out, methodArgs, results) {
  const t0 = performance.now();
  const r = mc(['compress', model, ...methodArgs, '--out', out, '--results', results]);
  return { ...r, wall: (performance.now() - t0) / 1000 };
}

async function lmCurves(dir) {
  const evalArgs = [
    '--metric',
    'bpc',
    '--dataset',
    TEXT,
    '--block-size',
    '512',
    '--stride',
    '128',
    '--batch-size',
    '4',
    ...(FULL ? [] : ['--limit', String(LIMIT)]),
  ];
  const calib = ['--calib-dataset', TEXT, '--calib-samples', String(CALIB), '--calib-seqlen', '512'];
  console.log(
    `shared LM tiny-stdlib-lm: BPC on ${FULL ? 'all 93 records' : `the first ${LIMIT} records (a fixed slice; BENCH_FULL=1 for all)`} of stdlib-text/valid.jsonl, block 512, stride 128`,
  );
  console.log(
    `wanda/sparsegpt calibration: ${CALIB} windows x 512 tokens from the same file (seed 0); magnitude: none (per layer, the LLM-KICK rule)`,
  );
  const results = join(dir, 'results');
  const dense = mc(['eval', LM, ...evalArgs, '--results', results]);
  const denseBpc = dense.metric?.values?.bpc?.value;
  console.log(`dense: BPC ${denseBpc?.toFixed(4)} over ${dense.metric?.sums?.windows} windows\n`);
  const points = [['0.2'], ['0.4'], ['0.5'], ['0.6'], ['0.7'], ['0.8'], [null, '2:4'], [null, '4:8']];
  const rows = [];
  for (const algo of ['magnitude', 'wanda', 'sparsegpt']) {
    for (const [s, pattern] of points) {
      const out = join(dir, `${algo}-${s ?? pattern.replace(':', 'of')}`);
      const args = [
        '--method',
        'prune',
        '--algo',
        algo,
        ...(s ? ['--sparsity', s] : ['--pattern', pattern]),
        ...(algo === 'magnitude' ? [] : calib),
      ];
      const c = compress(LM, out, args, results);
      if (c.error) {
        rows.push([algo, s ?? pattern, '-', '-', '-', '-', c.error.slice(0, 60)]);
        continue;
      }
      const step = c.steps[0];
      const pruned = step.tensors.filter((t) => t.sparsity !== undefined);
      const achieved =
        pruned.reduce((n, t) => n + t.sparsity * t.elements, 0) / pruned.reduce((n, t) => n + t.elements, 0);
      const errs = pruned.filter((t) => t.outputError !== undefined).map((t) => t.outputError);
      const e = mc(['eval', out, ...evalArgs, '--results', results]);
      const bpc = e.metric?.values?.bpc?.value;
      rows.push([
        algo,
        s ?? pattern,
        (100 * achieved).toFixed(2),
        bpc === undefined ? e.error : bpc.toFixed(4),
        bpc === undefined ? '-' : `${bpc - denseBpc >= 0 ? '+' : ''}${(bpc - denseBpc).toFixed(4)}`,
        c.timings.compressS.toFixed(1),
        errs.length ? (errs.reduce((a, b) => a + b, 0) / errs.length).toFixed(4) : '-',
      ]);
      console.log(`  ${rows.at(-1).join('  ')}`);
    }
  }
  console.log('');
  console.log(table(['algo', 'sparsity', 'zeros %', 'BPC', 'vs dense', 'compress s', 'mean layer err'], rows));
  console.log(
    "(mean layer err: ||XW'-XW||/||XW|| on the calibration data, reported by wanda/sparsegpt; zeros % over the 16 pruned MatMul weights; embeddings and the tied head stay dense)\n",
  );
}

async function vision(dir) {
  const results = join(dir, 'results');
  const hyper = has('method', 'hyper');
  const dice = has('metric', 'dice');
  const cases = [
    [
      'mnist-cnn',
      join(SHARED, 'models/mnist-cnn'),
      ['--metric', 'accuracy', '--dataset', join(SHARED, 'data/mnist-test')],
      'top1',
    ],
    [
      'digits-unet',
      join(SHARED, 'models/digits-unet'),
      ['--metric', 'dice', '--dataset', join(SHARED, 'data/digits-seg-test')],
      'dice',
    ],
  ];
  if (!hyper) console.log('hyper is not installed (mc list): hyper rows skipped');
  if (!dice) console.log('the dice metric is not installed (mc list): digits-unet rows give sizes only');
  for (const [name, model, evalArgs, key] of cases) {
    const variants = [
      ['dense', null],
      ['channel 0.1', ['--method', 'prune', '--algo', 'channel', '--ratio', '0.1']],
      ['channel 0.25', ['--method', 'prune', '--algo', 'channel', '--ratio', '0.25']],
      ['channel 0.5', ['--method', 'prune', '--algo', 'channel', '--ratio', '0.5']],
      ...(hyper
        ? [
            ['hyper', ['--method', 'hyper']],
            [
              'channel 0.25 + hyper',
              ['--method', 'prune', '--algo', 'channel', '--ratio', '0.25', '--method', 'hyper'],
            ],
            ['magnitude 0.5 + hyper', ['--method', 'prune', '--sparsity', '0.5', '--method', 'hyper']],
          ]
        : []),
    ];
    const rows = [];
    let denseBytes;
    for (const [label, args] of variants) {
      const out = join(dir, `${name}-${label.replace(/\W+/g, '-')}.onnx`);
      let path = model;
      let bytes;
      let params = '-';
      let secs = '-';
      if (args) {
        const c = compress(model, out, args, results);
        if (c.error) {
          rows.push([label, '-', '-', '-', '-', c.error.slice(0, 70)]);
          continue;
        }
        path = c.output.path;
        bytes = c.output.bytes;
        denseBytes ??= c.model.bytes;
        secs = c.timings.compressS.toFixed(1);
        const note = c.steps.flatMap((s) => s.notes).find((n) => / -> \d+ parameters/.test(n));
        params = note ? note.match(/(\d+) -> (\d+) parameters/)[2] : '-';
        if (note && rows[0]?.[3] === '-') rows[0][3] = note.match(/(\d+) -> (\d+) parameters/)[1];
      }
      const metric = key === 'dice' && !dice ? undefined : mc(['eval', path, ...evalArgs, '--results', results]);
      const v = metric?.metric?.values?.[key]?.value;
      if (!args) {
        bytes = statSync(join(model, 'model.onnx')).size;
        denseBytes = bytes;
      }
      rows.push([
        label,
        bytes === undefined ? '-' : `${(bytes / 1024).toFixed(1)} KiB`,
        bytes && denseBytes ? `${(denseBytes / bytes).toFixed(2)}x` : '-',
        params,
        secs,
        v === undefined ? (metric?.error ?? '-') : v.toFixed(4),
      ]);
    }
    console.log(`${name} (${key} on ${evalArgs[3].split('/').pop()}; no fine-tuning after pruning):`);
    console.log(table(['variant', 'file', 'vs dense', 'parameters', 'compress s', key], rows));
    console.log('');
  }
}

export async function benchPrune() {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-prune-'));
  if (PARTS.includes('rss')) {
    await rssWithNote(dir);
  }
  if (PARTS.includes('vision')) await vision(dir);
  if (PARTS.includes('lm')) await lmCurves(dir);
}

async function rssWithNote(dir) {
  const out = join(dir, 'rss-sgpt');
  const args = [
    'compress',
    LM,
    '--method',
    'prune',
    '--algo',
    'sparsegpt',
    '--sparsity',
    '0.5',
    '--calib-dataset',
    TEXT,
    '--calib-samples',
    String(CALIB),
    '--calib-seqlen',
    '512',
    '--out',
    out,
    '--results',
    join(dir, 'results'),
    '--json',
  ];
  const rssFile = join(dir, 'rss');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', join(REPO, 'bench/lib/peak-rss.mjs'), BIN, ...args], {
    env: { ...process.env, MC_BENCH_RSS_FILE: rssFile },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.log(`SparseGPT RSS run failed: ${r.stderr.trim().split('\n').pop()}`);
    return;
  }
  const peak = Number(spawnSync('cat', [rssFile], { encoding: 'utf8' }).stdout) * 1024;
  const res = JSON.parse(r.stdout);
  const fileBytes = res.model.bytes;
  const all = 4 * (3 * 256 * 256 + 1024 * 1024) * 8; // X^T X of every pruned MatMul's input (K = 256, 256, 256, 1024 per block), float64
  const note = res.steps[0].notes.find((n) => /held at once/.test(n));
  console.log(
    `SparseGPT 0.5 on the shared LM (${CALIB} calibration windows x 512 tokens): ${wall.toFixed(1)} s wall, peak RSS ${mib(peak)} = ${(peak / fileBytes).toFixed(1)}x the model file (${mib(fileBytes)})`,
  );
  console.log(
    `one layer's Hessian at a time: "${note.replace(/^.*?: /, '')}"; all 16 layers' X^T X together would be ${mib(all)}\n`,
  );
}
