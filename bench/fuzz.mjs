// Issue 17's longer fuzz run: 1,000 seeded mutants of the shared mnist-cnn (byte flips, truncations,
// inserted garbage, swapped and rewritten protobuf fields), each through `inspect` and
// `compress --method int8` in process. Prints accepted / refused (by error code) / failures per step,
// and every failure. The suite runs 200 of the same seeds (test/fuzz.e2e.test.ts).
// MC_BENCH_FUZZ_MUTANTS=N and MC_BENCH_FUZZ_FIRST_SEED=S change the run.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressor, Registry } from '@mc-kit/core';
import { countFuzz, fuzzCase, mutateModel } from '@mc-kit/core/testing';
import { Int8Compressor } from '@mc-kit/plugin-quant';
import { REPO, table } from './lib/measure.mjs';

export async function benchFuzz() {
  const shared = join(REPO, '../shared/models/mnist-cnn/model.onnx');
  const model = existsSync(shared) ? shared : join(REPO, 'examples/mnist-cnn/model.onnx');
  const mutants = Number(process.env.MC_BENCH_FUZZ_MUTANTS ?? 1000);
  const first = Number(process.env.MC_BENCH_FUZZ_FIRST_SEED ?? 0);
  const registry = new Registry();
  registry.add(
    { name: '@mc-kit/plugin-quant', version: '0.1.0' },
    compressor(() => new Int8Compressor()),
  );
  const original = readFileSync(model);
  const work = mkdtempSync(join(tmpdir(), 'mc-bench-fuzz-'));
  const cases = [];
  const kinds = new Map();
  const t0 = performance.now();
  try {
    for (let seed = first; seed < first + mutants; seed++) {
      const dir = join(work, String(seed));
      mkdirSync(dir);
      const mutant = mutateModel(original, seed);
      kinds.set(mutant.kind, (kinds.get(mutant.kind) ?? 0) + 1);
      cases.push(await fuzzCase(mutant, { registry, dir }));
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  const counts = countFuzz(cases);
  console.log(
    `${mutants} mutants of ${model} (seeds ${first}..${first + mutants - 1}), ${seconds.toFixed(1)} s (${((1000 * seconds) / mutants).toFixed(0)} ms each)`,
  );
  console.log(
    `mutations: ${[...kinds]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  const codes = [...new Set([...Object.keys(counts.inspect.refused), ...Object.keys(counts.compress.refused)])].sort();
  console.log(
    table(
      ['step', 'accepted', ...codes.map((c) => `refused ${c}`), 'failures'],
      ['inspect', 'compress'].map((s) => [
        s,
        counts[s].accepted,
        ...codes.map((c) => counts[s].refused[c] ?? 0),
        counts[s].failures,
      ]),
    ),
  );
  console.log(
    counts.failures.length
      ? `failures:\n${counts.failures.join('\n')}`
      : 'failures: none (no exit 1, no hang, no multi-line message, nothing left behind, every output valid and loaded by onnxruntime)',
  );
}
