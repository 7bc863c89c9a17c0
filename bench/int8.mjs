// int8 benchmarks: quantization throughput on a 4096x4096 float32 matrix (the math kernel, and the
// whole `mc compress` on a model holding that matrix), and the peak RSS of `mc compress` relative to
// the model file.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DataType } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { quantize } from '@mc-kit/plugin-quant';
import { REPO, mcWithPeakRss, mib, table, timeIt } from './lib/measure.mjs';

function randomMatrix(n, seed = 1) {
  let s = seed >>> 0;
  const w = new Float32Array(n * n);
  for (let i = 0; i < w.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    w[i] = (s / 2 ** 32 - 0.5) * 0.2;
  }
  return w;
}

export async function benchInt8() {
  const N = 4096;
  const w = randomMatrix(N);
  const rows = [];
  for (const [scheme, axis, label] of [
    ['sym', 1, 'sym, per column (MatMul)'],
    ['sym', 0, 'sym, per row (Gemm/Conv)'],
    ['asym', 1, 'asym, per column'],
    ['sym', undefined, 'sym, per tensor'],
  ]) {
    const s = timeIt(() => quantize(w, [N, N], { scheme, axis }), 3);
    rows.push([`quantize ${label}`, ((N * N) / s / 1e6).toFixed(1), s.toFixed(3)]);
  }

  // The whole CLI on a model holding one 4096x4096 MatMul weight (64 MiB file).
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-int8-'));
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['batch', N]);
  const y = g.matMul(x, g.initializer('w', DataType.FLOAT, [N, N], w));
  g.output(y, DataType.FLOAT, ['batch', N]);
  const modelPath = join(dir, 'matmul-4096.onnx');
  await g.build().save(modelPath);
  const fileBytes = statSync(modelPath).size;

  // Streaming shows on a model of many tensors: 8 MatMul weights of 2048x2048 in a chain (128 MiB),
  // of which only the one being quantized should be resident as float32.
  const C = 2048;
  const chain = new GraphBuilder({ opset: 17 });
  let h = chain.input('x', DataType.FLOAT, ['batch', C]);
  for (let i = 0; i < 8; i++)
    h = chain.matMul(h, chain.initializer(`w${i}`, DataType.FLOAT, [C, C], randomMatrix(C, i + 2)));
  chain.output(h, DataType.FLOAT, ['batch', C]);
  const chainPath = join(dir, 'matmul-chain-8x2048.onnx');
  await chain.build().save(chainPath);
  const chainBytes = statSync(chainPath).size;

  // Peak RSS varies by some 10 MiB from run to run (when V8 collects is not ours to choose): the
  // median of 3 runs of each.
  const median3 = (args) => {
    const runs = [0, 1, 2].map(() => mcWithPeakRss(args)).sort((a, b) => a.peakRss - b.peakRss);
    return runs[1];
  };
  const baseline = median3(['list', '--json']);
  const big = median3([
    'compress',
    modelPath,
    '--method',
    'int8',
    '--out',
    join(dir, 'q.onnx'),
    '--results',
    join(dir, 'r'),
    '--json',
  ]);
  const big4 = median3([
    'compress',
    modelPath,
    '--method',
    'int4',
    '--out',
    join(dir, 'q4.onnx'),
    '--results',
    join(dir, 'r'),
    '--json',
  ]);
  const chain8 = median3([
    'compress',
    chainPath,
    '--method',
    'int8',
    '--out',
    join(dir, 'c8.onnx'),
    '--results',
    join(dir, 'r'),
    '--json',
  ]);
  const chain4 = median3([
    'compress',
    chainPath,
    '--method',
    'int4',
    '--out',
    join(dir, 'c4.onnx'),
    '--results',
    join(dir, 'r'),
    '--json',
  ]);
  // The drift probes open the input and the output in onnxruntime (issue 16.4): --probes 0 shows the compression with the load check alone.
  const big0 = median3([
    'compress',
    modelPath,
    '--method',
    'int8',
    '--probes',
    '0',
    '--out',
    join(dir, 'q0.onnx'),
    '--results',
    join(dir, 'r'),
    '--json',
  ]);
  const chain80 = median3([
    'compress',
    chainPath,
    '--method',
    'int8',
    '--probes',
    '0',
    '--out',
    join(dir, 'c80.onnx'),
    '--results',
    join(dir, 'r'),
    '--json',
  ]);
  const small = mcWithPeakRss([
    'compress',
    join(REPO, 'examples/mnist-cnn'),
    '--method',
    'int8',
    '--out',
    join(dir, 'mnist-q.onnx'),
    '--results',
    join(dir, 'r'),
    '--json',
  ]);
  rows.push([
    'mc compress --method int8 (64 MiB model, wall)',
    ((N * N) / big.wall / 1e6).toFixed(1),
    big.wall.toFixed(3),
  ]);
  rows.push([
    'mc compress --method int4 (64 MiB model, wall)',
    ((N * N) / big4.wall / 1e6).toFixed(1),
    big4.wall.toFixed(3),
  ]);
  rows.push([
    'mc compress --method int4 (8 x 2048^2 chain, wall)',
    ((8 * C * C) / chain4.wall / 1e6).toFixed(1),
    chain4.wall.toFixed(3),
  ]);

  console.log('int8 quantization throughput, 4096x4096 float32 (median of 3)');
  console.log(table(['what', 'M weights/s', 'seconds'], rows));
  console.log('');
  console.log(
    'peak RSS of mc compress, median of 3 runs (target: (RSS - baseline) / file <= 1.5; large weights stay on disk until read;',
  );
  console.log(
    'the default 8 drift probes run the input and the output in onnxruntime sessions of their own, --probes 0 only loads the output)',
  );
  console.log(
    table(
      ['model', 'file', 'peak RSS', 'RSS / file', '(RSS - baseline) / file'],
      [
        [
          'matmul-4096 (one 4096x4096 weight)',
          mib(fileBytes),
          mib(big.peakRss),
          (big.peakRss / fileBytes).toFixed(2),
          ((big.peakRss - baseline.peakRss) / fileBytes).toFixed(2),
        ],
        [
          'same model, --probes 0',
          mib(fileBytes),
          mib(big0.peakRss),
          (big0.peakRss / fileBytes).toFixed(2),
          ((big0.peakRss - baseline.peakRss) / fileBytes).toFixed(2),
        ],
        [
          'same model, --method int4',
          mib(fileBytes),
          mib(big4.peakRss),
          (big4.peakRss / fileBytes).toFixed(2),
          ((big4.peakRss - baseline.peakRss) / fileBytes).toFixed(2),
        ],
        [
          'matmul-chain (8 weights 2048x2048), int8',
          mib(chainBytes),
          mib(chain8.peakRss),
          (chain8.peakRss / chainBytes).toFixed(2),
          ((chain8.peakRss - baseline.peakRss) / chainBytes).toFixed(2),
        ],
        [
          'same chain, --probes 0',
          mib(chainBytes),
          mib(chain80.peakRss),
          (chain80.peakRss / chainBytes).toFixed(2),
          ((chain80.peakRss - baseline.peakRss) / chainBytes).toFixed(2),
        ],
        [
          'same chain, --method int4',
          mib(chainBytes),
          mib(chain4.peakRss),
          (chain4.peakRss / chainBytes).toFixed(2),
          ((chain4.peakRss - baseline.peakRss) / chainBytes).toFixed(2),
        ],
        [
          'examples/mnist-cnn',
          mib(statSync(join(REPO, 'examples/mnist-cnn/model.onnx')).size),
          mib(small.peakRss),
          '-',
          '-',
        ],
        ['baseline: mc list (node + oclif + plugins)', '-', mib(baseline.peakRss), '-', '-'],
      ],
    ),
  );
}
