// Hyper-compression benchmarks (issue 6): on digits-unet (Dice), mnist-cnn (top-1) and the shared
// LM (BPC, block 512, stride 128): dense, hyper with each reference preset, --l auto,
// --target-bpw 4.5, int8 and int4. Per row: metric, bits/weight, file size, encode time and
// weights/s, and onnxruntime session start + per-run latency relative to dense, for
// --decode load (the decode is folded when the session starts) and --decode run (weights stay
// packed; decoded on every run). First the byte breakdown of mnist-cnn at --target-bpw 4.5 at
// opsets 17 and 9, with and without model-local functions (bench/hyper-file.mjs); last the codec's
// own benchmark (bench/hyper-codec.mjs).
// Timings on a shared machine are pessimistic; ratios to dense are taken in the same process.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { BIN, REPO, table } from './lib/measure.mjs';

const SHARED = resolve(REPO, '../shared');
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;

function mc(args, retry = true) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--json', '--device', 'cpu'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) {
    if (retry) return mc(args, false); // the shared tree may be mid-rebuild: one retry
    throw new Error(`mc ${args.join(' ')} failed (${r.status}): ${r.stderr.split('\n')[0]}`);
  }
  return JSON.parse(r.stdout);
}

/** Feeds for any of the three models, from the session's input names. */
function feedsFor(session, spec) {
  const feeds = {};
  for (const name of session.inputNames) {
    if (/ids/.test(name))
      feeds[name] = new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: spec.tokens }, (_, i) => BigInt((i * 7) % 97)),
        [1, spec.tokens],
      );
    else if (/mask/.test(name))
      feeds[name] = new ort.Tensor('int64', new BigInt64Array(spec.tokens).fill(1n), [1, spec.tokens]);
    else if (/position/.test(name))
      feeds[name] = new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: spec.tokens }, (_, i) => BigInt(i)),
        [1, spec.tokens],
      );
    else
      feeds[name] = new ort.Tensor(
        'float32',
        Float32Array.from({ length: spec.pixels.reduce((a, b) => a * b, 1) }, (_, i) => (i % 13) / 13),
        spec.pixels,
      );
  }
  return feeds;
}

/** Session start (median of 3) and per-run latency (median of `runs`), in ms, CPU, one thread. */
async function latency(path, spec) {
  const starts = [];
  let session;
  for (let i = 0; i < 3; i++) {
    if (session) await session.release();
    const t0 = performance.now();
    session = await ort.InferenceSession.create(path, { logSeverityLevel: 3, intraOpNumThreads: 1 });
    starts.push(performance.now() - t0);
  }
  const feeds = feedsFor(session, spec);
  await session.run(feeds);
  const runs = [];
  for (let i = 0; i < spec.runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    runs.push(performance.now() - t0);
  }
  await session.release();
  const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  return { start: med(starts), run: med(runs) };
}

const ROWS = [
  ['dense', null],
  ['hyper unet', ['--method', 'hyper', '--preset', 'unet']],
  ['hyper mobilenet', ['--method', 'hyper', '--preset', 'mobilenet']],
  ['hyper llm', ['--method', 'hyper', '--preset', 'llm']],
  ['hyper --l auto', ['--method', 'hyper', '--l', 'auto']],
  ['hyper --target-bpw 4.5', ['--method', 'hyper', '--target-bpw', '4.5']],
  ['int8', ['--method', 'int8']],
  ['int4', ['--method', 'int4']],
];

async function benchModel(title, model, spec, evaluate, dir) {
  const rows = [];
  let dense;
  for (const [label, args] of ROWS) {
    try {
      // a folder out: the model's companions (tokenizer, config.json) travel with it
      let folder = model;
      let c;
      if (args) {
        folder = join(dir, `${title.split(':')[0]}-${label.replace(/\W+/g, '_')}`);
        c = mc(['compress', model, ...args, '--out', folder, '--results', join(dir, 'results')]);
      }
      const path = join(folder, 'model.onnx');
      const score = evaluate(folder);
      const lat = await latency(path, spec);
      let runLat;
      if (args?.[1] === 'hyper') {
        const runFolder = `${folder}_run`;
        mc(['compress', model, ...args, '--decode', 'run', '--out', runFolder, '--results', join(dir, 'results')]);
        runLat = await latency(join(runFolder, 'model.onnx'), spec);
      }
      if (!args) dense = { score, lat, bytes: statSync(path).size };
      const weights = c
        ? c.steps[0].tensors.filter((t) => t.action !== 'skipped').reduce((s, t) => s + t.elements, 0)
        : 0;
      const encS = c ? c.timings.compressS : 0;
      const ratio = (x, y) => (x / y).toFixed(2);
      rows.push([
        label,
        score === undefined ? 'n/a' : score.toFixed(4),
        dense.score === undefined || score === undefined ? '' : (score - dense.score).toFixed(4),
        c ? (c.bitsPerWeight?.toFixed(3) ?? '') : '32',
        kib(statSync(path).size),
        ratio(statSync(path).size, dense.bytes),
        c ? encS.toFixed(2) : '',
        c ? (weights / encS / 1e6).toFixed(2) : '',
        `${lat.start.toFixed(0)} (${ratio(lat.start, dense.lat.start)}x)`,
        `${lat.run.toFixed(2)} (${ratio(lat.run, dense.lat.run)}x)`,
        runLat ? `${runLat.start.toFixed(0)} (${ratio(runLat.start, dense.lat.start)}x)` : '',
        runLat ? `${runLat.run.toFixed(2)} (${ratio(runLat.run, dense.lat.run)}x)` : '',
      ]);
    } catch (e) {
      rows.push([label, `failed: ${String(e.message).slice(0, 90)}`]);
      if (!args) return console.log(`${title}: dense row failed, skipped`);
    }
  }
  console.log(title);
  console.log(
    table(
      [
        'row',
        'metric',
        'vs dense',
        'bits/w',
        'file',
        'vs dense',
        'encode s',
        'M w/s',
        'start ms load',
        'run ms load',
        'start ms run',
        'run ms run',
      ],
      rows.map((r) => [...r, ...Array(12 - r.length).fill('')]),
    ),
  );
  console.log('');
}

export async function benchHyper() {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-hyper-'));
  const results = join(dir, 'results');
  const { benchHyperFile } = await import('./hyper-file.mjs');
  if (only !== 'lm') await benchHyperFile();
  if (only === 'file') return;
  console.log(
    'session start: median of 3 creations; run: median of N runs, 1 intra-op thread, CPU; "run" columns = --decode run',
  );
  const hasDice = spawnSync(process.execPath, [BIN, 'list', '--json'], { encoding: 'utf8' }).stdout.includes('"dice"');
  const only = process.env.MC_BENCH_HYPER_ONLY; // 'lm': just the LM rows (the slowest); 'file': just the byte breakdown
  const unet = join(SHARED, 'models/digits-unet');
  if (only !== 'lm')
    await benchModel(
      hasDice
        ? 'digits-unet: Dice on digits-seg-test (500 images)'
        : 'digits-unet: Dice not available yet (no `dice` metric in mc list); latency only',
      unet,
      { pixels: [1, 1, 64, 64], runs: 30 },
      (m) =>
        hasDice
          ? mc(['eval', m, '--metric', 'dice', '--dataset', join(SHARED, 'data/digits-seg-test'), '--results', results])
              .metric.values.dice.value
          : undefined,
      dir,
    );
  if (only !== 'lm')
    await benchModel(
      'mnist-cnn: top-1 accuracy on mnist-test',
      join(SHARED, 'models/mnist-cnn'),
      { pixels: [1, 1, 28, 28], runs: 50 },
      (m) =>
        mc(['eval', m, '--metric', 'accuracy', '--dataset', join(SHARED, 'data/mnist-test'), '--results', results])
          .metric.values.top1.value,
      dir,
    );
  if (process.env.MC_BENCH_HYPER_SKIP_LM !== '1') {
    await benchModel(
      'tiny-stdlib-lm: BPC on stdlib-text valid (block 512, stride 128)',
      join(SHARED, 'models/tiny-stdlib-lm'),
      { tokens: 512, pixels: [1], runs: 5 },
      (m) =>
        mc([
          'eval',
          m,
          '--metric',
          'bpc',
          '--dataset',
          join(SHARED, 'data/stdlib-text/valid.jsonl'),
          '--block-size',
          '512',
          '--stride',
          '128',
          '--results',
          results,
        ]).metric.values.bpc.value,
      dir,
    );
  } else console.log('tiny-stdlib-lm rows skipped (MC_BENCH_HYPER_SKIP_LM=1)\n');
  if (existsSync(new URL('./hyper-codec.mjs', import.meta.url))) {
    const codec = await import('./hyper-codec.mjs');
    if (codec.benchHyperCodec) await codec.benchHyperCodec();
  }
}
