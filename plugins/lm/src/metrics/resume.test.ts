/**
 * bpc and perplexity under eval --resume: a run stopped after some windows and resumed from its
 * checkpoint gives the sums and values of an uninterrupted run bit for bit (toEqual compares numbers
 * with Object.is), every window scored once.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCheckpointStore,
  createRunContext,
  loadModelRef,
  OrtSessionFactory,
  parseParams,
  type Metric,
  type ParamSpec,
  type RunContext,
  type TextDataset,
} from '@mc-kit/core';
import { bigramModelDir } from './bigram.fixture.js';
import { BPC_PARAMS, BpcMetric } from './bpc.js';
import { PERPLEXITY_PARAMS, PerplexityMetric } from './perplexity.js';

const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
});
const dir = bigramModelDir({ context: 16 });
// satisfies, not a type annotation: an interface has no index signature, and Dataset wants one
const text = {
  kind: 'text',
  provider: 'test',
  ref: 'memory',
  digest: 'x',
  size: 3,
  subsets: [{ name: 'corpus', records: ['abcab\ncbacab\n', 'cccab\nabab\nba', 'acbacbcbacab\nabc'] }],
  join: '\n\n',
} satisfies TextDataset;

/** A context whose run stops (as Ctrl-C does) once `after` windows have been ticked. */
function stoppingAfter(after: number): RunContext {
  const stop = new AbortController();
  let ticks = 0;
  const task = { tick: (n = 1) => void ((ticks += n) >= after && stop.abort()), update() {}, done() {}, fail() {} };
  return { ...ctx, signal: stop.signal, progress: { start: () => task } };
}

describe.each<[string, Metric, readonly ParamSpec[], Record<string, unknown>]>([
  ['bpc', new BpcMetric(), BPC_PARAMS, { 'block-size': 4, stride: 1 }],
  ['bpc, batches of 3', new BpcMetric(), BPC_PARAMS, { 'block-size': 4, stride: 1, 'batch-size': 3 }],
  ['perplexity strided', new PerplexityMetric(), PERPLEXITY_PARAMS, { mode: 'strided', seqlen: 4, stride: 1 }],
  ['perplexity classic', new PerplexityMetric(), PERPLEXITY_PARAMS, { seqlen: 3 }],
])('%s stopped and resumed', (_, metric, specs, raw) => {
  it('equals an uninterrupted run bit for bit, every window scored once', async () => {
    const model = await loadModelRef(dir);
    const params = parseParams(specs, raw, metric.id);
    const clean = await metric.evaluate(model, text, params, ctx);
    const windows = clean.sums.windows;
    expect(windows).toBeGreaterThan(10);

    const root = join(mkdtempSync(join(tmpdir(), 'mc-lm-resume-')), '.cache');
    const first = await createCheckpointStore(root, { key: 1 });
    await expect(
      metric.evaluate(model, text, params, { ...stoppingAfter(Math.floor(windows / 2)), checkpoints: first }),
    ).rejects.toMatchObject({ code: 'E_ABORTED' });
    await first.close(false);
    const part = join(first.dir, 'corpus.jsonl');
    const kept = readFileSync(part, 'utf8').trim().split('\n').length;
    expect(kept).toBeGreaterThan(0);

    const second = await createCheckpointStore(root, { key: 1 });
    const resumed = await metric.evaluate(model, text, params, { ...ctx, checkpoints: second });
    await second.close(false);
    expect(second.resumed()).toBe(kept);
    expect(resumed.sums).toEqual(clean.sums);
    expect(resumed.values).toEqual(clean.values);
    const last = JSON.parse(readFileSync(part, 'utf8').trim().split('\n').at(-1)!) as { next: number; windows: number };
    expect(last).toMatchObject({ next: windows, windows }); // the resumed run went on from the kept windows, none twice
  });
});
