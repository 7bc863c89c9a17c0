// int4 / GPTQ benchmarks (issue 5): the quality-vs-size table on the shared LM (BPC on
// stdlib-text valid) and on mnist-cnn (accuracy on mnist-test), and the int4 RTN kernel's speed.
//
// Calibration for GPTQ: the shared data has no training split of stdlib-text, so the windows come
// from this machine's Python standard library, minus every module whose relative path is in the
// evaluation split (the split is by file, version-independent), i.e. text of the kind the model
// was trained on, disjoint by file from what is scored. Without a local stdlib it falls back to the
// evaluation corpus and says so in the output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { quantizeInt4, quantizeInt4Fast, quantizeInt4WasmNibbles } from '@mc-kit/plugin-quant';
import { BIN, REPO, table, timeIt } from './lib/measure.mjs';

const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;

const SHARED = resolve(REPO, '../shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const CORPUS = join(SHARED, 'data/stdlib-text/valid.jsonl');
const MNIST = join(SHARED, 'models/mnist-cnn');
const MNIST_DATA = join(SHARED, 'data/mnist-test');
const STDLIB_DIRS = ['/usr/local/lib/python3.11', '/usr/lib/python3.11', '/usr/lib/python3'];
const CALIB_CHARS = 3_000_000; // about 1 M tokens: 128 windows of 512 draw from a pool 15x their size

function mc(args, retry = true) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args, '--json', '--device', 'cpu'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) {
    // the working tree is shared: a plugin being rebuilt at that moment fails to load; one retry
    if (retry) return mc(args, false);
    throw new Error(`mc ${args.join(' ')} failed (${r.status}): ${r.stderr} ${r.stdout}`);
  }
  return { json: JSON.parse(r.stdout), wall: (performance.now() - t0) / 1000 };
}

/** A jsonl of local stdlib .py files not in the evaluation split (by path without the pythonX.Y/ prefix). */
function calibrationCorpus(dir) {
  const held = new Set(
    readFileSync(CORPUS, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).meta.path.replace(/^python[\d.]+\//, '')),
  );
  const root = STDLIB_DIRS.find((d) => existsSync(join(d, 'os.py')));
  if (!root) return undefined;
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (
        e.isDirectory() &&
        !['site-packages', 'dist-packages', 'test', 'tests', '__pycache__', 'lib2to3'].includes(e.name)
      )
        walk(p);
      else if (e.isFile() && e.name.endsWith('.py')) files.push(p);
    }
  };
  walk(root);
  const rel = files.map((f) => relative(root, f));
  const kept = rel.filter((r) => !held.has(r));
  const lines = [];
  let chars = 0;
  for (const r of kept) {
    if (chars >= CALIB_CHARS) break;
    const content = readFileSync(join(root, r), 'utf8');
    chars += content.length;
    lines.push(JSON.stringify({ content, meta: { path: r } }));
  }
  const path = join(dir, 'calib-stdlib.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, root, files: lines.length, excluded: rel.length - kept.length, chars };
}

function rtnSpeed() {
  const K = 4096;
  const N = 4096;
  let s = 1;
  const w = Float32Array.from(
    { length: K * N },
    () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.2,
  );
  const layout = { outer: 1, dim: K, inner: N };
  const kernels = [
    ['quantizeInt4 (wasm SIMD, a byte per code)', (o) => quantizeInt4(w, layout, o)],
    ['quantizeInt4WasmNibbles (what mc compress runs for MatMulNBits)', (o) => quantizeInt4WasmNibbles(w, layout, o)],
    ['quantizeInt4Fast (the JS kernel, runtimes without wasm SIMD)', (o) => quantizeInt4Fast(w, layout, o)],
  ];
  for (let i = 0; i < 2; i++) quantizeInt4(w, layout, { scheme: 'sym', blockSize: 32 }); // wasm tier-up
  const rows = [];
  for (const [scheme, blockSize] of [
    ['sym', 32],
    ['sym', 128],
    ['asym', 32],
  ]) {
    for (const [name, run] of kernels) {
      const sec = timeIt(() => run({ scheme, blockSize }), 5);
      const rate = (K * N) / sec / 1e6;
      rows.push([`${name}, ${scheme}, block ${blockSize}`, rate.toFixed(1), sec.toFixed(3), (rate / 150).toFixed(2)]);
    }
  }
  console.log(
    'int4 RTN kernel, 4096x4096 float32 weight, one thread (median of 5; target >= 150 M weights/s); all three give identical codes (tests)',
  );
  console.log(table(['kernel', 'M weights/s', 'seconds', 'vs target'], rows));
  console.log('');
}

function compressRow(label, model, methodArgs, dir, evaluate) {
  const out = join(dir, `${model.split('/').pop()}-${label.replace(/[^a-z0-9]+/gi, '-')}`);
  let c;
  if (methodArgs) c = mc(['compress', model, ...methodArgs, '--out', out, '--results', join(dir, 'results')]).json;
  const path = c ? out : model;
  const bytes = c ? c.output.bytes : statSync(join(model, 'model.onnx')).size;
  const score = evaluate(path);
  return {
    label,
    score,
    bpw: c?.bitsPerWeight,
    bytes,
    compressS: c?.timings.compressS,
    notes: c?.steps.flatMap((s) => s.notes) ?? [],
  };
}

function printTable(title, metricName, rows) {
  const dense = rows[0].score;
  console.log(title);
  console.log(
    table(
      ['model', metricName, `vs dense`, 'bits/weight', 'file', 'vs dense file', 'compress s'],
      rows.map((r) => [
        r.label,
        r.score.toFixed(4),
        r === rows[0] ? '-' : `${r.score - dense >= 0 ? '+' : ''}${(((r.score - dense) / dense) * 100).toFixed(2)} %`,
        r.bpw === undefined ? '32 (float)' : r.bpw.toFixed(3),
        mib(r.bytes),
        (rows[0].bytes / r.bytes).toFixed(2) + 'x',
        r.compressS === undefined ? '-' : r.compressS.toFixed(1),
      ]),
    ),
  );
}

async function lmTable(dir) {
  if (!existsSync(join(LM, 'model.onnx'))) {
    console.log(`LM table skipped: ${LM} is absent`);
    return;
  }
  const calib = calibrationCorpus(dir);
  const calibPath = calib?.path ?? CORPUS;
  if (calib) {
    console.log(
      `GPTQ calibration: ${calib.files} .py files (${(calib.chars / 1e6).toFixed(2)} M characters) from ${calib.root}, ${calib.excluded} files excluded because their path is in the evaluation split; 128 windows x 512 tokens (the model's context), seed 0`,
    );
  } else {
    console.log(
      'GPTQ calibration: NO local Python stdlib found, so the calibration windows come FROM THE EVALUATION CORPUS (valid.jsonl): the GPTQ rows are optimistic',
    );
  }
  const bpc = (model) =>
    mc([
      'eval',
      model,
      '--metric',
      'bpc',
      '--dataset',
      CORPUS,
      '--block-size',
      '512',
      '--stride',
      '128',
      '--results',
      join(dir, 'results'),
    ]).json.metric.values.bpc.value;
  const gptq = (bits, extra = []) => [
    '--method',
    'gptq',
    '--bits',
    String(bits),
    '--group-size',
    '128',
    '--calib-dataset',
    calibPath,
    '--calib-samples',
    '128',
    ...extra,
  ];
  const embeddings = ['--exclude', 'transformer.wte.weight', '--exclude', 'transformer.wpe.weight'];
  // Most telling first (a BPC run takes minutes on a busy machine); printed as each one finishes.
  const configs = [
    ['int4 RTN g128, MatMul only', ['--method', 'int4', '--block-size', '128', ...embeddings]],
    ['GPTQ 4-bit g128', gptq(4)],
    ['int4 RTN g128', ['--method', 'int4', '--block-size', '128']],
    ['GPTQ 3-bit g128 (4-bit storage)', gptq(3)],
    ['int4 RTN g32', ['--method', 'int4', '--block-size', '32']],
    ['int8 (per channel, sym)', ['--method', 'int8']],
    ['dense (float32)', undefined],
  ];
  // MC_BENCH_INT4_GPTQ=0 leaves the GPTQ rows out (they take ~10 min each on 2 cores)
  if (process.env.MC_BENCH_INT4_GPTQ === '0')
    configs.splice(0, configs.length, ...configs.filter(([label]) => !label.startsWith('GPTQ')));
  const order = [
    'dense (float32)',
    'int8 (per channel, sym)',
    'int4 RTN g32',
    'int4 RTN g128',
    'int4 RTN g128, MatMul only',
    'GPTQ 4-bit g128',
    'GPTQ 3-bit g128 (4-bit storage)',
  ];
  const rows = [];
  for (const [label, args] of configs) {
    const t0 = performance.now();
    const row = compressRow(label, LM, args, dir, bpc);
    rows.push(row);
    console.log(
      `  row done: ${label}: BPC ${row.score.toFixed(4)}, ${row.bpw === undefined ? 'float' : `${row.bpw.toFixed(3)} bits/weight`}, ${mib(row.bytes)}, compress ${row.compressS === undefined ? '-' : `${row.compressS.toFixed(1)} s`} (row took ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  rows.sort((a, b) => order.indexOf(a.label) - order.indexOf(b.label));
  printTable(
    'tiny-stdlib-lm: BPC on stdlib-text valid.jsonl (93 records, --block-size 512 --stride 128, full corpus)',
    'BPC',
    rows,
  );
  const g = rows.find((r) => r.label === 'GPTQ 4-bit g128');
  const r = rows.find((x) => x.label === 'int4 RTN g128, MatMul only');
  const r2 = rows.find((x) => x.label === 'int4 RTN g128');
  if (g)
    console.log(
      `GPTQ 4-bit g128 vs int4 RTN g128 on the same 17 MatMul weights: ${g.score.toFixed(4)} vs ${r.score.toFixed(4)} BPC -> ${g.score < r.score ? 'GPTQ is better' : 'GPTQ is NOT better'} by ${(r.score - g.score).toFixed(4)} BPC (${(((r.score - g.score) / r.score) * 100).toFixed(2)} %)`,
    );
  if (g)
    console.log(
      `GPTQ 4-bit g128 vs int4 RTN g128 (default: embeddings int8 too): ${g.score.toFixed(4)} vs ${r2.score.toFixed(4)} BPC`,
    );
  console.log(
    'bits/weight: over the tensors each step quantized (GPTQ: the 17 MatMul weights; int4 default: those + the two embedding tables as int8); file: the whole model.onnx',
  );
  for (const row of rows.filter((x) => x.label.startsWith('GPTQ')))
    console.log(
      `  ${row.label}: ${row.notes.filter((n) => /sequential|calibration|3-bit|damping/.test(n)).join(' | ')}`,
    );
  console.log('');
}

async function mnistTable(dir) {
  if (!existsSync(join(MNIST, 'model.onnx'))) {
    console.log(`mnist table skipped: ${MNIST} is absent`);
    return;
  }
  let images = 0;
  const accuracy = (model) => {
    const r = mc([
      'eval',
      model,
      '--metric',
      'accuracy',
      '--dataset',
      MNIST_DATA,
      '--results',
      join(dir, 'results'),
    ]).json;
    images = r.dataset.size;
    return r.metric.values.top1.value;
  };
  const rows = [];
  for (const [label, args] of [
    ['dense (float32)', undefined],
    ['int8 (per channel, sym)', ['--method', 'int8']],
    ['int4 RTN g32', ['--method', 'int4', '--block-size', '32', '--min-size', '256']],
    ['int4 RTN g128', ['--method', 'int4', '--block-size', '128', '--min-size', '256']],
  ])
    rows.push(compressRow(label, MNIST, args, dir, accuracy));
  printTable(`mnist-cnn: top-1 accuracy on mnist-test (${images} images)`, 'top-1', rows);
  for (const row of rows.slice(2)) console.log(`  ${row.label}: ${row.notes.slice(0, 2).join(' | ')}`);
  console.log(
    'GPTQ rows: none. mnist-cnn has no MatMul weight (Conv + Gemm only), and gptq calibrates linear (MatMul) layers from text windows; image calibration is not supported, so `mc compress --method gptq` refuses this model (E_NOTHING_TO_COMPRESS).',
  );
  console.log('');
}

export async function benchInt4() {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-int4-'));
  // MC_BENCH_INT4_PARTS=speed (or lm,mnist,speed) picks parts; the LM table with GPTQ takes ~20 min.
  const parts = (process.env.MC_BENCH_INT4_PARTS ?? 'lm,mnist,speed').split(',');
  if (parts.includes('lm')) await lmTable(dir);
  if (parts.includes('mnist')) await mnistTable(dir);
  if (parts.includes('speed')) rtnSpeed();
}
