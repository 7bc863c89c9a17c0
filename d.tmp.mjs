import { OnnxModel, OrtSessionFactory, createRng, measureDrift, runProbes } from './packages/core/dist/index.js';
const dense = '/work/shared/models/mnist-cnn/model.onnx';
const outs = process.argv.slice(2);
const f = new OrtSessionFactory({ device: 'cpu' });
for (const dist of ['normal', 'uniform01', 'uniform-11']) {
  const rng = createRng(0);
  const gen = () => dist === 'normal' ? Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()) : dist === 'uniform01' ? rng.next() : 2 * rng.next() - 1;
  const feeds = Array.from({ length: 8 }, () => ({ pixel_values: { type: 'float32', data: Float32Array.from({ length: 2 * 784 }, gen), dims: [2, 1, 28, 28] } }));
  const plan = { feeds, description: dist };
  const s = await f.create(dense); const o = await runProbes(s, plan); await s.release();
  const base = { plan, inputs: 'random', seed: 0, outputs: o, batchFirst: new Map([['logits', true]]) };
  for (const p of outs) { const c = await f.create(p); const d = await measureDrift(c, base); await c.release(); console.log(dist.padEnd(10), p.padEnd(50), (d.outputs[0].relativeError * 100).toFixed(1), (d.outputs[0].top1Agreement * 100).toFixed(0)); }
}
