/**
 * The calibration source, on text: on the shared LM's tokenizer and config (context 512): lazy, seeded,
 * windows cut from the dataset's token stream, capped by the context; bad input as UserErrors.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRunContext } from '../context.js';
import type { DatasetProvider, RunContext } from '../contracts.js';
import { datasetProvider } from '../declarations.js';
import { loadTokenizer } from '../lm/tokenizer.js';
import { Registry } from '../registry.js';
import { OrtSessionFactory } from '../session/factory.js';
import { createCalibration } from './source.js';

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..', '../shared');
const LM = join(SHARED, 'models/tiny-stdlib-lm');
const present = existsSync(join(LM, 'tokenizer.json'));
if (!present)
  console.warn(
    `calibration text-source tests skipped: ${LM} is absent (the shared folder sits beside the repo, at ../shared)`,
  );

const TEXT = 'def add(a, b):\n    """Return the sum."""\n    return a + b\n\n'.repeat(40);

function setup(records: string[], kind: 'text' | 'none' = 'text') {
  let opened = 0;
  const provider: DatasetProvider = {
    id: 'fake',
    kind,
    summary: 'test',
    canOpen: async () => true,
    open: async (ref) => {
      opened++;
      const base = { provider: 'fake', ref: ref.ref, digest: 'abc', size: records.length };
      return kind === 'text' ? { ...base, kind, subsets: [{ name: 'x', records }], join: '\n\n' } : { ...base, kind };
    },
  };
  const registry = new Registry();
  registry.add(
    { name: 'test', version: '0' },
    datasetProvider(() => provider),
  );
  const dir = mkdtempSync(join(tmpdir(), 'mc-calib-'));
  writeFileSync(join(dir, 'data.jsonl'), '{}\n');
  return { registry, data: join(dir, 'data.jsonl'), opened: () => opened };
}

const warnings: string[] = [];
const ctx = (seed = 0): RunContext => {
  const base = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent', seed });
  return { ...base, log: { ...base.log, warn: (m: string) => warnings.push(m) } };
};

(present ? describe : describe.skip)('createCalibration on text', () => {
  it('is lazy, loads once, and cuts seeded windows of the token stream capped by the context', async () => {
    const s = setup([TEXT]);
    const source = createCalibration({ dataset: s.data, samples: 5, model: LM, registry: s.registry }, ctx());
    expect(s.opened()).toBe(0);
    expect(source.info).toMatchObject({ samples: 5, seqlen: 2048, seed: 0 });
    const set = await source.load();
    expect(await source.load()).toBe(set);
    expect(s.opened()).toBe(1);
    expect(set.info).toMatchObject({ provider: 'fake', digest: 'abc', samples: 5, seqlen: 512 });
    expect(set.config?.n_positions).toBe(512);
    expect(warnings).toEqual([]); // 2048 was only the default: capped without a warning
    const stream = (await loadTokenizer(LM)).encode(TEXT).join(',');
    expect(set.samples).toHaveLength(5);
    for (const sample of set.samples) {
      if (sample.kind !== 'tokens') throw new Error('expected token windows');
      expect(sample.ids.length).toBe(512);
      expect(stream.includes(Array.from(sample.ids).join(','))).toBe(true);
    }
    const again = await createCalibration(
      { dataset: s.data, samples: 5, model: LM, registry: s.registry },
      ctx(),
    ).load();
    const other = await createCalibration(
      { dataset: s.data, samples: 5, model: LM, registry: s.registry },
      ctx(7),
    ).load();
    const ids = (x: typeof set) => x.samples.map((w) => (w.kind === 'tokens' ? Array.from(w.ids) : []));
    expect(ids(again)).toEqual(ids(set));
    expect(ids(other)).not.toEqual(ids(set));
  });

  it('warns when an explicit --calib-seqlen is past the context', async () => {
    const s = setup([TEXT]);
    warnings.length = 0;
    const set = await createCalibration(
      { dataset: s.data, samples: 1, seqlen: 1024, model: LM, registry: s.registry },
      ctx(),
    ).load();
    expect(set.info.seqlen).toBe(512);
    expect(warnings.join('\n')).toMatch(/--calib-seqlen 1024 is past the model's context; using 512/);
  });

  it.each([
    ['too little text for one window', () => setup(['x = 1\n']), 'E_BAD_DATASET', /fewer than one window/],
    [
      'a dataset of another kind',
      () => setup(['a'], 'none'),
      'E_WRONG_DATASET_KIND',
      /calibration reads text or images/,
    ],
  ])('%s', async (_name, make, code, message) => {
    const s = make();
    await expect(
      createCalibration({ dataset: s.data, samples: 2, model: LM, registry: s.registry }, ctx()).load(),
    ).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });

  it('a dataset that does not exist, and bad counts', async () => {
    const s = setup([TEXT]);
    await expect(
      createCalibration({ dataset: '/no/such/data.jsonl', model: LM, registry: s.registry }, ctx()).load(),
    ).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    expect(() => createCalibration({ dataset: s.data, samples: 0, model: LM, registry: s.registry }, ctx())).toThrow(
      /--calib-samples must be a positive integer/,
    );
  });
});
