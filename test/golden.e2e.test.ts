/**
 * Golden hashes: the files int8, int4, gptq, wanda, sparsegpt and hyper write for the shared models are
 * byte-identical to the ones recorded in test/golden/hashes.json. A refactor of shared numerics or of the
 * rewrite loop must not change one byte. A change that is meant to change an output updates the file in
 * the same commit and says why in its message (`MC_GOLDEN_UPDATE=1` rewrites it from this run).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAS_SHARED, REPO, SHARED, runMc, tempDir, warnSkip } from './helpers/cli.js';

const HASHES = join(REPO, 'test/golden/hashes.json');
const MODELS = join(SHARED, 'models');
const DATA = join(SHARED, 'data');
const TEXT_CALIB = [
  '--calib-dataset',
  join(DATA, 'stdlib-text/valid.jsonl'),
  '--calib-samples',
  '8',
  '--calib-seqlen',
  '256',
];
const IMAGE_CALIB = ['--calib-dataset', join(DATA, 'mnist-calib')];

/** case name → the model and the compress flags after it */
const CASES: Record<string, { model: string; flags: string[] }> = {
  'mnist-cnn int8': { model: 'mnist-cnn', flags: ['--method', 'int8'] },
  'mnist-cnn int4': { model: 'mnist-cnn', flags: ['--method', 'int4'] },
  'mnist-cnn gptq': { model: 'mnist-cnn', flags: ['--method', 'gptq', ...IMAGE_CALIB] },
  'mnist-cnn wanda': { model: 'mnist-cnn', flags: ['--method', 'prune', '--algo', 'wanda', ...IMAGE_CALIB] },
  'mnist-cnn hyper': { model: 'mnist-cnn', flags: ['--method', 'hyper'] },
  'tiny-stdlib-lm int8': { model: 'tiny-stdlib-lm', flags: ['--method', 'int8'] },
  'tiny-stdlib-lm int4': { model: 'tiny-stdlib-lm', flags: ['--method', 'int4'] },
  'tiny-stdlib-lm gptq': { model: 'tiny-stdlib-lm', flags: ['--method', 'gptq', ...TEXT_CALIB] },
  'tiny-stdlib-lm wanda': { model: 'tiny-stdlib-lm', flags: ['--method', 'prune', '--algo', 'wanda', ...TEXT_CALIB] },
  'tiny-stdlib-lm sparsegpt': {
    model: 'tiny-stdlib-lm',
    flags: ['--method', 'prune', '--algo', 'sparsegpt', ...TEXT_CALIB],
  },
  'tiny-stdlib-lm hyper': { model: 'tiny-stdlib-lm', flags: ['--method', 'hyper'] },
};

const describeShared = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) warnSkip('golden output hashes');

describeShared('golden hashes of compressed outputs', () => {
  const dir = tempDir('mc-golden-');
  const recorded = JSON.parse(readFileSync(HASHES, 'utf8')) as Record<string, string>;
  const seen: Record<string, string> = {};
  afterAll(() => {
    if (process.env.MC_GOLDEN_UPDATE === '1') writeFileSync(HASHES, `${JSON.stringify(seen, null, 2)}\n`);
  });

  it('records a hash for every case, and no other', () => {
    expect(Object.keys(recorded).sort()).toEqual(Object.keys(CASES).sort());
  });

  it.each(Object.keys(CASES))(
    '%s',
    async (name) => {
      const { model, flags } = CASES[name];
      const out = join(dir, `${name.replace(/ /g, '-')}.onnx`);
      const run = await runMc(
        ['compress', join(MODELS, model), ...flags, '--out', out, '--results', join(dir, 'results'), '--json'],
        { timeoutMs: 180_000 },
      );
      if (run.code !== 0) throw new Error(`${name}: ${run.stderr}`);
      seen[name] = createHash('sha256').update(readFileSync(out)).digest('hex');
      if (process.env.MC_GOLDEN_UPDATE !== '1') expect(seen[name]).toBe(recorded[name]);
    },
    200_000,
  );
});
