import { createRunContext, loadModelRef, OrtSessionFactory, parseParams, type TextDataset } from '@mc-kit/core';
import { bigramModelDir, handNll, ids } from './bigram.fixture.js';
import { PerplexityMetric, PERPLEXITY_PARAMS } from './perplexity.js';

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
const params = (raw: Record<string, unknown>) => parseParams(PERPLEXITY_PARAMS, raw, 'perplexity');

function wikiLike(rows: string[]): TextDataset {
  return {
    kind: 'text',
    provider: 'test',
    ref: 'memory',
    digest: 'x',
    size: rows.length,
    subsets: [{ name: 'wiki', records: rows }],
    join: '\n\n',
  };
}

describe('perplexity on a bigram model whose NLL is known by hand', () => {
  const dir = bigramModelDir({ context: 16 });

  it('classic: joins rows with "\\n\\n" (empty rows included), cuts non-overlapping chunks, drops the tail', async () => {
    const rows = ['ab\n', '', 'cab\n'];
    const text = rows.join('\n\n'); // "ab\n" + "\n\n" + "" + "\n\n" + "cab\n" = 11 characters
    const tokens = ids(text);
    expect(tokens).toHaveLength(11);
    const result = await new PerplexityMetric().evaluate(
      await loadModelRef(dir),
      wikiLike(rows),
      params({ seqlen: 5 }),
      ctx,
    );
    // floor(11 / 5) = 2 chunks: tokens 0..4 and 5..9 (tail token 10 dropped); each scores its last 4.
    const nats = handNll(tokens.slice(0, 5)) + handNll(tokens.slice(5, 10));
    expect(result.sums.windows).toBe(2);
    expect(result.sums.scored_tokens).toBe(8);
    expect(result.sums.unscored_tail).toBe(1);
    expect(result.sums.characters).toBe(11);
    expect(result.sums.total_nats).toBeCloseTo(nats, 5);
    // exp of the mean of per-chunk means = exp(Σ / 8) since the chunks are equal.
    const perChunk = [handNll(tokens.slice(0, 5)) / 4, handNll(tokens.slice(5, 10)) / 4];
    expect(result.values.perplexity.value).toBeCloseTo(Math.exp((perChunk[0] + perChunk[1]) / 2), 6);
  });

  it('strided: every token after the first is scored once, the tail included', async () => {
    const rows = ['abcabcabca'];
    const tokens = ids(rows[0]);
    const result = await new PerplexityMetric().evaluate(
      await loadModelRef(dir),
      wikiLike(rows),
      params({ mode: 'strided', seqlen: 4, stride: 2 }),
      ctx,
    );
    expect(result.sums.scored_tokens).toBe(9);
    expect(result.sums.total_nats).toBeCloseTo(handNll(tokens), 5);
    expect(result.values.perplexity.value).toBeCloseTo(Math.exp(handNll(tokens) / 9), 6);
  });

  it('refuses a seqlen beyond the model context with a hint', async () => {
    await expect(
      new PerplexityMetric().evaluate(await loadModelRef(dir), wikiLike(['abcabc']), params({}), ctx),
    ).rejects.toMatchObject({
      code: 'E_BAD_PARAM',
      hint: 'e.g. --seqlen 16',
    });
  });
});
