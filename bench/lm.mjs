// Language-model benchmarks (issue 4): mc eval --metric bpc throughput against a bare onnxruntime
// forward pass over the same windows, and the peak memory of the fused-loss path vs the logits path
// at the shared LM's vocab (4096) and at a synthetic vocab of 150,000.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { DataType, loadTokenizer } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { slidingWindows, streamPerRecord } from '@mc-kit/plugin-lm';
import { BIN, REPO, mib, table } from './lib/measure.mjs';

const SHARED = resolve(REPO, '../shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const CORPUS = join(SHARED, 'data/stdlib-text/valid.jsonl');
const RECORDS = 6; // a slice of the corpus keeps the bench to about a minute; raise for steadier figures
const BLOCK = 512;
const STRIDE = 128;

async function bareForward(records) {
  const tokenizer = await loadTokenizer(LM);
  const stream = streamPerRecord(records, tokenizer);
  const plan = slidingWindows(stream.ids.length, BLOCK, STRIDE);
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(join(LM, 'model.onnx'), { graphOptimizationLevel: 'all' });
  const mask = new ort.Tensor('int64', new BigInt64Array(BLOCK).fill(1n), [1, BLOCK]);
  for (const w of plan.windows) {
    const ids = BigInt64Array.from(stream.ids.subarray(w.begin, w.begin + BLOCK), (v) => BigInt(v));
    await session.run({ input_ids: new ort.Tensor('int64', ids, [1, BLOCK]), attention_mask: mask });
  }
  const seconds = (performance.now() - t0) / 1000;
  await session.release();
  return { seconds, windows: plan.windows.length };
}

function mcEvalBpc(corpus, loss) {
  const out = execFileSync(
    process.execPath,
    [
      BIN,
      'eval',
      LM,
      '--metric',
      'bpc',
      '--dataset',
      corpus,
      '--block-size',
      String(BLOCK),
      '--stride',
      String(STRIDE),
      '--loss',
      loss,
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

function syntheticLm(vocab, dModel = 64) {
  const dir = join(tmpdir(), `mc-bench-vocab-${vocab}`);
  if (existsSync(join(dir, 'model.onnx'))) return dir;
  mkdirSync(dir, { recursive: true });
  const g = new GraphBuilder({ opset: 17 });
  const ids = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  const emb = new Float32Array(vocab * dModel).map((_, i) => Math.sin(i) * 0.05);
  const head = new Float32Array(dModel * vocab).map((_, i) => Math.cos(i) * 0.05);
  const hidden = g.gather(g.initializer('wte', DataType.FLOAT, [vocab, dModel], emb), ids);
  const logits = g.matMul(hidden, g.initializer('lm_head.weight', DataType.FLOAT, [dModel, vocab], head));
  g.output(logits, DataType.FLOAT, ['batch', 'sequence', vocab]);
  writeFileSync(join(dir, 'model.onnx'), g.toBytes());
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ vocab_size: vocab, n_positions: 512 }));
  return dir;
}

function memory(dir, loss, vocab) {
  const out = execFileSync(
    process.execPath,
    [join(REPO, 'bench/lib/lm-memory.mjs'), dir, loss, '4', String(BLOCK), String(vocab)],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

export async function benchLm() {
  if (!existsSync(LM)) {
    console.log('lm benchmarks skipped: ../shared/models/tiny-stdlib-lm is not beside the repository');
    return;
  }
  const lines = readFileSync(CORPUS, 'utf8').split('\n').filter(Boolean).slice(0, RECORDS);
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-lm-'));
  const slice = join(dir, 'slice.jsonl');
  writeFileSync(slice, `${lines.join('\n')}\n`);
  const records = lines.map((l) => JSON.parse(l).content);

  const bare = await bareForward(records);
  const fused = mcEvalBpc(slice, 'fused');
  const logits = mcEvalBpc(slice, 'logits');
  const tokens = bare.windows * BLOCK;
  console.log(
    `mc eval --metric bpc on the shared LM, first ${RECORDS} records of valid.jsonl, block ${BLOCK} / stride ${STRIDE} (${bare.windows} windows)`,
  );
  console.log(
    table(
      ['path', 'seconds', 'tokens/s', 'ratio to bare forward', 'bpc'],
      [
        [
          'bare onnxruntime forward (logits out, no loss)',
          bare.seconds.toFixed(2),
          (tokens / bare.seconds).toFixed(0),
          '1.00',
          '-',
        ],
        [
          'mc eval --metric bpc (fused loss head)',
          fused.timings.evaluateS.toFixed(2),
          (tokens / fused.timings.evaluateS).toFixed(0),
          (fused.timings.evaluateS / bare.seconds).toFixed(3),
          fused.metric.values.bpc.value.toFixed(6),
        ],
        [
          'mc eval --metric bpc --loss logits',
          logits.timings.evaluateS.toFixed(2),
          (tokens / logits.timings.evaluateS).toFixed(0),
          (logits.timings.evaluateS / bare.seconds).toFixed(3),
          logits.metric.values.bpc.value.toFixed(6),
        ],
      ],
    ),
  );
  console.log('');
  const rows = [];
  for (const [label, modelDir, vocab] of [
    ['shared LM (vocab 4096)', LM, 4096],
    ['synthetic (vocab 150,000, d 64)', syntheticLm(150000), 150000],
  ]) {
    const f = memory(modelDir, 'fused', vocab);
    const l = memory(modelDir, 'logits', vocab);
    rows.push([
      label,
      mib(f.peakRssBytes),
      mib(l.peakRssBytes),
      (l.peakRssBytes / f.peakRssBytes).toFixed(2),
      f.seconds.toFixed(2),
      l.seconds.toFixed(2),
    ]);
  }
  console.log(`peak RSS of 4 windows of ${BLOCK} tokens through the CausalLM adapter`);
  console.log(table(['model', 'fused peak', 'logits peak', 'logits / fused', 'fused s', 'logits s'], rows));
}
