/**
 * Issue 17's fuzz test: seeded mutations of the shared mnist-cnn (byte flips, truncations, inserted
 * garbage, swapped and rewritten protobuf fields), each through `inspect` and `compress --method
 * int8`: most in process through the services, a handful through bin/mc to hold the CLI contract.
 * No mutant may end in exit 1 (a BugError or an error that is not mc's), hang, print a stack, leave
 * files behind, or produce an output that fails the validator or onnxruntime.
 * `node bench/run.js fuzz` runs 1,000 mutants and prints the same counts.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compressor, Registry } from '@mc-kit/core';
import { countFuzz, fuzzCase, mutateModel, type FuzzCase } from '@mc-kit/core/testing';
import { Int8Compressor } from '../plugins/quant/src/index.js';
import { EXAMPLES, filesIn, HAS_SHARED, lines, runMc, SHARED, tempDir } from './helpers/cli.js';

const MODEL = HAS_SHARED
  ? join(SHARED, 'models', 'mnist-cnn', 'model.onnx')
  : join(EXAMPLES, 'mnist-cnn', 'model.onnx');
const IN_PROCESS = 200;
const THROUGH_CLI = 6;

describe('fuzzed models end cleanly', () => {
  const original = readFileSync(MODEL);
  const work = tempDir('mc-fuzz-');
  const cases: FuzzCase[] = [];
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it(`${IN_PROCESS} mutants through the services: accepted with a valid output, or refused with one line`, async () => {
    const registry = new Registry();
    registry.add(
      { name: '@mc-kit/plugin-quant', version: '0.1.0' },
      compressor(() => new Int8Compressor()),
    );
    const t0 = performance.now();
    for (let seed = 0; seed < IN_PROCESS; seed++) {
      const dir = join(work, `case-${seed}`);
      mkdirSync(dir);
      cases.push(await fuzzCase(mutateModel(original, seed), { registry, dir }));
      rmSync(dir, { recursive: true, force: true });
    }
    const counts = countFuzz(cases);

    console.log(
      `fuzz: ${IN_PROCESS} mutants in ${((performance.now() - t0) / 1000).toFixed(1)} s\ninspect ${JSON.stringify(counts.inspect)}\ncompress ${JSON.stringify(counts.compress)}`,
    );
    expect(counts.failures).toEqual([]);
    // the mutants reach every outcome: untouched enough to compress, and refused at each layer
    expect(counts.compress.accepted).toBeGreaterThan(20);
    // (E_UNSUPPORTED: a default-domain opset outside 9-26, which compress refuses before any work)
    expect(Object.keys(counts.compress.refused).sort()).toEqual([
      'E_BAD_MODEL',
      'E_INVALID_MODEL',
      'E_NOT_ONNX',
      'E_TRUNCATED_ONNX',
      'E_UNSUPPORTED',
    ]);
  });

  it(`${THROUGH_CLI} of them through bin/mc: exit 0 or 2, one line, no stack, nothing left behind`, async () => {
    // one accepted mutant, and one refused for each reason, as the services judged them
    const byOutcome = new Map<string, FuzzCase>();
    for (const c of cases) {
      const key = c.compress.verdict === 'accepted' ? 'accepted' : String(c.compress.code);
      if (!byOutcome.has(key)) byOutcome.set(key, c);
    }
    const chosen = [...byOutcome.values()].slice(0, THROUGH_CLI);
    expect(chosen.length).toBeGreaterThanOrEqual(5);
    for (const c of chosen) {
      const dir = tempDir('mc-fuzz-cli-');
      const input = join(dir, 'mutant.onnx');
      writeFileSync(input, c.mutant.bytes);
      const out = join(dir, 'out.onnx');
      for (const args of [
        ['inspect', input],
        ['compress', input, '--method', 'int8', '--probes', '2', '--out', out, '--results', join(dir, 'results')],
      ]) {
        const r = await runMc(args, { timeoutMs: 60_000 });
        const step = args[0] as 'inspect' | 'compress';
        const what = `seed ${c.mutant.seed} (${c.mutant.description}) mc ${step}: exit ${r.code}\n${r.stderr}`;
        expect([what, r.code]).toEqual([what, c[step].verdict === 'accepted' ? 0 : 2]);
        expect(r.stderr).not.toMatch(/^\s+at /m);
        if (r.code === 2) {
          expect([what, lines(r.stderr).length]).toEqual([what, 1]);
          expect(r.stderr).toMatch(/^Error: .*\(hint: /);
        }
      }
      if (c.compress.verdict !== 'accepted') expect(filesIn(dir)).toEqual(['mutant.onnx']);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
