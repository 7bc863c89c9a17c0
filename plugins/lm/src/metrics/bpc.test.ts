import { createRunContext, loadModelRef, OrtSessionFactory, type TextDataset } from '@mc-kit/core';
import { BpcMetric, BPC_PARAMS } from './bpc.js';
import { bigramModelDir, handNll, ids } from './bigram.fixture.js';
import { parseParams } from '@mc-kit/core';

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });

function dataset(records: string[], subsets?: Record<string, string[]>): TextDataset {
  const list = subsets
    ? Object.entries(subsets).map(([name, r]) => ({ name, records: r }))
    : [{ name: 'test', records }];
  return {
    kind: 'text',
    provider: 'test',
    ref: 'memory',
    digest: 'x',
    size: list.reduce((n, s) => n + s.records.length, 0),
    subsets: list,
    join: '\n\n',
  };
}

const params = (raw: Record<string, unknown>) => parseParams(BPC_PARAMS, raw, 'bpc');

describe('bpc on a bigram model whose NLL is known by hand', () => {
  const dir = bigramModelDir({ context: 8 });

  it('scores every token after the first once when stride = 1, and divides by code points · ln 2', async () => {
    const records = ['abcab', '', 'ccba'];
    const stream = ids('abcabccba'); // the empty record is dropped; no separator, no BOS
    const result = await new BpcMetric().evaluate(
      await loadModelRef(dir),
      dataset(records),
      params({ 'block-size': 3, stride: 1 }),
      ctx,
    );
    const nats = handNll(stream); // tokens 1..8: windows of 4 every 1 -> 6 windows, nothing left over
    expect(result.sums.windows).toBe(6);
    expect(result.sums.scored_tokens).toBe(8);
    expect(result.sums.unscored_tail).toBe(0);
    expect(result.sums.characters).toBe(9);
    expect(result.sums.records).toBe(2);
    expect(result.sums.total_nats).toBeCloseTo(nats, 5);
    expect(result.values.bpc.value).toBeCloseTo(nats / (9 * Math.LN2), 6);
  });

  it('leaves the tail after the last full window unscored (block 3, stride 2)', async () => {
    const text = 'abcabcab'; // N = 8, B = 4: L = floor((8 - 4) / 2 + 1) = 3 windows, scoring tokens 1..3, 4..5, 6..7
    const result = await new BpcMetric().evaluate(
      await loadModelRef(dir),
      dataset([text]),
      params({ 'block-size': 3, stride: 2 }),
      ctx,
    );
    expect(result.sums.windows).toBe(3);
    expect(result.sums.scored_tokens).toBe(7);
    const short = 'abcabca'; // N = 7: L = floor(3 / 2 + 1) = 2 windows -> tokens 1..5, tail 1
    const r2 = await new BpcMetric().evaluate(
      await loadModelRef(dir),
      dataset([short]),
      params({ 'block-size': 3, stride: 2 }),
      ctx,
    );
    expect(r2.sums.scored_tokens).toBe(5);
    expect(r2.sums.unscored_tail).toBe(1);
    expect(r2.sums.total_nats).toBeCloseTo(handNll(ids('abcabc')), 5);
    expect(r2.values.bpc.value).toBeCloseTo(handNll(ids('abcabc')) / (7 * Math.LN2), 6);
  });

  it('gives the same sums batched and unbatched, and through the logits path', async () => {
    const text = 'abcabccbaabcbcabcabbbacab';
    const model = await loadModelRef(dir);
    const one = await new BpcMetric().evaluate(model, dataset([text]), params({ 'block-size': 4, stride: 2 }), ctx);
    const four = await new BpcMetric().evaluate(
      model,
      dataset([text]),
      params({ 'block-size': 4, stride: 2, 'batch-size': 4 }),
      ctx,
    );
    const logits = await new BpcMetric().evaluate(
      model,
      dataset([text]),
      params({ 'block-size': 4, stride: 2, loss: 'logits' }),
      ctx,
    );
    expect(four.sums.total_nats).toBeCloseTo(one.sums.total_nats, 5);
    expect(logits.sums.total_nats).toBeCloseTo(one.sums.total_nats, 5);
    expect(one.sums.total_nats).toBeCloseTo(handNll(ids(text)), 5);
  });

  it('reports each subset and their unweighted average', async () => {
    const result = await new BpcMetric().evaluate(
      await loadModelRef(dir),
      dataset([], { python: ['abcab'], cc: ['ccbaab'] }),
      params({ 'block-size': 2, stride: 1 }),
      ctx,
    );
    const py = handNll(ids('abcab')) / (5 * Math.LN2);
    const cc = handNll(ids('ccbaab')) / (6 * Math.LN2);
    expect(result.values.python.value).toBeCloseTo(py, 6);
    expect(result.values.cc.value).toBeCloseTo(cc, 6);
    expect(result.values.average.value).toBeCloseTo((py + cc) / 2, 6);
    expect(result.sums['python.characters']).toBe(5);
  });

  it('refuses a corpus shorter than one window, and a block larger than the context', async () => {
    const model = await loadModelRef(dir);
    await expect(
      new BpcMetric().evaluate(model, dataset(['abc']), params({ 'block-size': 3, stride: 1 }), ctx),
    ).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: expect.stringMatching(/3 tokens is shorter than one window \(4 tokens\)/),
    });
    await expect(
      new BpcMetric().evaluate(model, dataset(['abcabcabcabc']), params({ 'block-size': 9, stride: 1 }), ctx),
    ).rejects.toMatchObject({
      code: 'E_BAD_PARAM',
      message: expect.stringMatching(/--block-size 9 is larger than the model's context of 8 tokens/),
    });
  });
});
