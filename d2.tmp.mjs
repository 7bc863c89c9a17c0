import { readFileSync } from 'node:fs';
import { OrtSessionFactory, measureDrift, runProbes } from './packages/core/dist/index.js';
const dense = '/work/shared/models/mnist-cnn/model.onnx';
const px = readFileSync('examples/mnist-test/images.u8');
const f = new OrtSessionFactory({ device: 'cpu' });
const N = 16;
const feeds = Array.from({ length: 8 }, (_, k) => ({ pixel_values: { type: 'float32', data: Float32Array.from(px.subarray(k * N * 784, (k + 1) * N * 784), (v) => v / 255), dims: [N, 1, 28, 28] } }));
const plan = { feeds, description: 'real' };
const s = await f.create(dense); const o = await runProbes(s, plan); await s.release();
const base = { plan, inputs: 'real', seed: 0, outputs: o, batchFirst: new Map([['logits', true]]) };
for (const p of process.argv.slice(2)) { const c = await f.create(p); const d = await measureDrift(c, base); await c.release(); console.log(p.padEnd(60), (d.outputs[0].relativeError * 100).toFixed(1), (d.outputs[0].top1Agreement * 100).toFixed(0)); }
