#!/usr/bin/env bash
# The main job on the bundled example: compress the MNIST CNN with int8, evaluate the dense and the
# compressed model on the 2000 test digits, and print both accuracies and the size ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
MC=./bin/mc
OUT=${MC_EXAMPLE_OUT:-examples/out}
mkdir -p "$OUT"

"$MC" compress examples/mnist-cnn --method int8 --out "$OUT/mnist-cnn-int8.onnx" --results "$OUT/results"
"$MC" eval examples/mnist-cnn --metric accuracy --dataset examples/mnist-test --results "$OUT/results" --json > "$OUT/dense.json"
"$MC" eval "$OUT/mnist-cnn-int8.onnx" --metric accuracy --dataset examples/mnist-test --results "$OUT/results" --json > "$OUT/int8.json"

node --input-type=module - "$OUT" <<'JS'
import { readFileSync, statSync } from 'node:fs';
const out = process.argv[2];
const dense = JSON.parse(readFileSync(`${out}/dense.json`, 'utf8'));
const int8 = JSON.parse(readFileSync(`${out}/int8.json`, 'utf8'));
const a = dense.metric.values.top1.value, b = int8.metric.values.top1.value;
const sizeA = statSync('examples/mnist-cnn/model.onnx').size, sizeB = statSync(`${out}/mnist-cnn-int8.onnx`).size;
console.log('');
console.log(`mnist-cnn on ${dense.dataset.size} test digits`);
console.log(`  dense  top-1 ${(100 * a).toFixed(2)}%   ${sizeA.toLocaleString('en-US')} bytes`);
console.log(`  int8   top-1 ${(100 * b).toFixed(2)}%   ${sizeB.toLocaleString('en-US')} bytes`);
console.log(`  accuracy change ${(100 * (b - a)).toFixed(2)} points, size ratio ${(sizeA / sizeB).toFixed(2)}x`);
JS
