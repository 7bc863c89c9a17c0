// KLD benchmarks (issue 19 item 3): peak memory of `--metric kld` flat in the vocabulary. Synthetic LMs
// (Gather + MatMul head, d 64) at vocab 4096 and 150,000, each against a copy with its head perturbed,
// 4 windows of 512 tokens through core's loadKlPair in a child process each: the fused KL head with the
// model's head sliced per chunk ('sliced'), with its logits computed whole ('full': what a MatMulNBits
// head gets), and both logits blocks in JS ('logits'). Weights grow with V in every path (V x d floats
// per tensor); what must not grow is the rest. Then the time of kld on the shared LM against bpc.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataType } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { BIN, REPO, mib, table } from './lib/measure.mjs';

const BLOCK = 512;
const D = 64;

/** dense (shift 0) or perturbed head; `computed`: the head weight is Mul(W, 1), so the KL head cannot slice it */
function syntheticLm(vocab, shift, computed = false) {
  const dir = join(tmpdir(), `mc-bench-kld2-${vocab}-${shift}-${computed ? 'full' : 'sliced'}`);
  if (existsSync(join(dir, 'model.onnx'))) return dir;
  mkdirSync(dir, { recursive: true });
  const g = new GraphBuilder({ opset: 17 });
  const ids = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  // logits of a few nats' spread, so that the perturbed head's KL is well above 0
  const emb = new Float32Array(vocab * D).map((_, i) => Math.sin(i));
  const head = new Float32Array(D * vocab).map((_, i) => Math.cos(i) * 0.3 * (1 + shift * Math.sin(7 * i)));
  const hidden = g.gather(g.initializer('wte', DataType.FLOAT, [vocab, D], emb), ids);
  let w = g.initializer('lm_head.weight', DataType.FLOAT, [D, vocab], head);
  if (computed) w = g.mul(w, g.initializer('one', DataType.FLOAT, [], Float32Array.of(1)));
  g.output(g.matMul(hidden, w), DataType.FLOAT, ['batch', 'sequence', vocab]);
  writeFileSync(join(dir, 'model.onnx'), g.toBytes());
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ vocab_size: vocab, n_positions: 512 }));
  return dir;
}

/** `mc compress --method int4` of a synthetic LM: its head becomes a MatMulNBits, which the KL head slices by rows */
function int4Of(dir) {
  const out = `${dir}-int4`;
  if (!existsSync(join(out, 'model.onnx')))
    execFileSync(
      process.execPath,
      [BIN, 'compress', dir, '--method', 'int4', '--out', out, '--results', mkdtempSync(join(tmpdir(), 'mc-bench-r-'))],
      { encoding: 'utf8' },
    );
  return out;
}

function memory(base, model, path, vocab) {
  return JSON.parse(
    execFileSync(
      process.execPath,
      ['--expose-gc', join(REPO, 'bench/lib/kld-memory.mjs'), base, model, path, '4', String(BLOCK), String(vocab)],
      { encoding: 'utf8' },
    ),
  );
}

function mcEval(model, metric, extra, corpus) {
  const out = execFileSync(
    process.execPath,
    [
      BIN,
      'eval',
      model,
      '--metric',
      metric,
      ...extra,
      '--dataset',
      corpus,
      '--block-size',
      String(BLOCK),
      '--stride',
      String(BLOCK),
      '--results',
      mkdtempSync(join(tmpdir(), 'mc-bench-r-')),
      '--json',
      '--device',
      'cpu',
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

export async function benchKld() {
  await kldMemory();
  await kldTime();
}

export async function kldMemory() {
  const rows = [];
  for (const vocab of [4096, 150000]) {
    const dense = syntheticLm(vocab, 0);
    const bytes = statSync(join(dense, 'model.onnx')).size;
    for (const [label, model, path] of [
      ['sliced', syntheticLm(vocab, 0.3), 'fused'],
      ['int4 sliced', int4Of(syntheticLm(vocab, 0.3)), 'fused'],
      ['full', syntheticLm(vocab, 0.3, true), 'fused'],
      ['logits', syntheticLm(vocab, 0.3), 'logits'],
    ]) {
      const r = memory(dense, model, path, vocab);
      rows.push([
        vocab.toLocaleString('en'),
        label,
        mib(bytes),
        mib(r.loadPeakBytes),
        mib(r.loadedBytes),
        mib(r.windowsPeakBytes),
        mib(r.windowsPeakBytes - r.loadedBytes),
        r.seconds.toFixed(2),
        r.meanKl.toFixed(6),
      ]);
    }
  }
  console.log(
    `--metric kld's two models, 4 windows of ${BLOCK} tokens, synthetic LMs (d ${D}) against a copy with a perturbed head (one process per row)`,
  );
  console.log(
    table(
      [
        'vocab',
        'path',
        'one model file',
        'peak loading',
        'RSS loaded',
        'peak in windows',
        'windows - loaded',
        'seconds',
        'mean KL',
      ],
      rows,
    ),
  );
  console.log(
    "(sliced: the KL head slices both heads per chunk; int4 sliced: the same with the model int4 (MatMulNBits head); full: the model's head (here Mul(W, 1)) computed whole; logits: both [T x V] blocks to JS.",
  );
  console.log(
    ' "windows - loaded" is what scoring adds on top of the loaded weights: it must not grow with the vocabulary.)',
  );
  console.log('');
}

export async function kldTime() {
  const SHARED = resolve(REPO, '../shared');
  const LM = join(SHARED, 'models/tiny-stdlib-lm');
  if (!existsSync(LM)) {
    console.log('kld timing on the shared LM skipped: ../shared/models/tiny-stdlib-lm is not beside the repository');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-kld-'));
  const corpus = join(dir, 'slice.jsonl');
  writeFileSync(
    corpus,
    `${readFileSync(join(SHARED, 'data/stdlib-text/valid.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 6).join('\n')}\n`,
  );
  const int4 = join(dir, 'int4');
  execFileSync(
    process.execPath,
    [BIN, 'compress', LM, '--method', 'int4', '--out', int4, '--results', join(dir, 'r')],
    { encoding: 'utf8' },
  );
  const bpc = mcEval(int4, 'bpc', [], corpus);
  const kldFused = mcEval(int4, 'kld', ['--baseline', LM], corpus);
  const kldLogits = mcEval(int4, 'kld', ['--baseline', LM, '--loss', 'logits'], corpus);
  const windows = bpc.metric.sums.windows;
  console.log(
    `int4 g32 of the shared LM against dense, first 6 records of valid.jsonl, block ${BLOCK} / stride ${BLOCK} (${windows} windows)`,
  );
  console.log(
    table(
      ['eval', 'seconds', 'ratio to bpc', 'figure'],
      [
        [
          'bpc (the int4 model alone)',
          bpc.timings.evaluateS.toFixed(2),
          '1.00',
          `bpc ${bpc.metric.values.bpc.value.toFixed(5)}`,
        ],
        [
          `kld, fused KL head (${kldFused.metric.details.head})`,
          kldFused.timings.evaluateS.toFixed(2),
          (kldFused.timings.evaluateS / bpc.timings.evaluateS).toFixed(2),
          `KLD ${kldFused.metric.values.mean.value.toFixed(6)}, same top ${kldFused.metric.values.same_top.value.toFixed(4)}`,
        ],
        [
          'kld --loss logits',
          kldLogits.timings.evaluateS.toFixed(2),
          (kldLogits.timings.evaluateS / bpc.timings.evaluateS).toFixed(2),
          `KLD ${kldLogits.metric.values.mean.value.toFixed(6)}, same top ${kldLogits.metric.values.same_top.value.toFixed(4)}`,
        ],
      ],
    ),
  );
}
