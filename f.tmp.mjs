import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, compressor } from './packages/core/dist/index.js';
import { mutateModel, fuzzCase, countFuzz } from './packages/core/dist/testing/index.js';
import { Int8Compressor } from './plugins/quant/dist/index.js';
const registry = new Registry();
registry.add({ name: '@mc-kit/plugin-quant', version: '0' }, compressor(() => new Int8Compressor()));
const original = readFileSync('/work/shared/models/mnist-cnn/model.onnx');
const n = Number(process.argv[2] ?? 50), start = Number(process.argv[3] ?? 0);
const cases = []; const t0 = performance.now();
for (let s = start; s < start + n; s++) {
  const dir = mkdtempSync(join(tmpdir(), 'mc-fuzz-'));
  cases.push(await fuzzCase(mutateModel(original, s), { registry, dir }));
  rmSync(dir, { recursive: true, force: true });
}
const c = countFuzz(cases);
console.log(((performance.now() - t0) / n).toFixed(0), 'ms/mutant');
console.log(JSON.stringify(c.inspect), '\n', JSON.stringify(c.compress));
for (const f of c.failures) console.log(f);
