/**
 * The denominator audit (issue 17 item 1): every division counts exactly what its numerator summed.
 * On a bigram model the NLL of each token is known by hand whatever its context, so the Σ NLL of
 * the tokens a plan claims to score can be recomputed and compared, for many window settings.
 */
import { createRunContext, loadModelRef, OrtSessionFactory, parseParams, type TextDataset } from '@mc-kit/core';
import { bigramModelDir, handNll, ids } from './bigram.fixture.js';
import { BpcMetric, BPC_PARAMS } from './bpc.js';
import { PerplexityMetric, PERPLEXITY_PARAMS } from './perplexity.js';

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
const dir = bigramModelDir({ context: 16 });
const records = ['abcab\ncb', '', 'ccbaab', 'bac\n\nab', 'cabbac', 'a'];
const data: TextDataset = {
  kind: 'text',
  provider: 'test',
  ref: 'memory',
  digest: 'x',
  size: records.length,
  subsets: [{ name: 'test', records }],
  join: '\n\n',
};
const codePoints = records.reduce((n, r) => n + [...r].length, 0);

describe('bpc: Σ NLL over the scored tokens, divided by the characters of the records they came from', () => {
  const stream = ids(records.join('')); // one stream, no BOS (the bigram tokenizer adds none), empty record dropped

  it.each([
    [3, 1],
    [3, 2],
    [3, 3],
    [5, 2],
    [5, 5],
    [8, 3],
    [16, 7],
    [16, 16],
  ])(
    'block %i, stride %i: each token after the first is scored once up to the tail, and only those fill Σ NLL',
    async (block, stride) => {
      const r = await new BpcMetric().evaluate(
        await loadModelRef(dir),
        data,
        parseParams(BPC_PARAMS, { 'block-size': block, stride }, 'bpc'),
        ctx,
      );
      const { tokens, scored_tokens: scored, unscored_tail: tail, total_nats: nats, characters } = r.sums;
      expect(tokens).toBe(stream.length);
      expect(scored + tail + 1).toBe(tokens); // token 0 is never a target; the rest: scored once, or the tail
      expect(tail).toBeLessThan(stride);
      expect(nats).toBeCloseTo(handNll(stream.slice(0, tokens - tail)), 5);
      expect(characters).toBe(codePoints);
      expect(r.values.bpc.value).toBeCloseTo(nats / (characters * Math.LN2), 9);
    },
  );

  it('refuses a stride past the block (the 1.078-instead-of-2.09 BPC of issue 17), the default stride included', () => {
    expect(() => parseParams(BPC_PARAMS, { 'block-size': 64, stride: 128 }, 'bpc')).toThrow(
      expect.objectContaining({
        code: 'E_BAD_PARAM',
        exitCode: 2,
        message:
          'bpc: --stride 128 must be at most --block-size 64: a larger stride leaves the tokens between windows unscored while their characters still count',
      }),
    );
    expect(() => parseParams(BPC_PARAMS, { 'block-size': 64 }, 'bpc')).toThrow(
      '--stride 512 (the default) must be at most --block-size 64',
    );
  });
});

describe('perplexity: exp(Σ NLL / the number of tokens that gave an NLL)', () => {
  const stream = ids(records.join('\n\n'));

  it.each([2, 3, 5, 8, 16])(
    'classic, seqlen %i: chunks × (seqlen - 1) targets, the first of each chunk and the tail unscored',
    async (seqlen) => {
      const r = await new PerplexityMetric().evaluate(
        await loadModelRef(dir),
        data,
        parseParams(PERPLEXITY_PARAMS, { seqlen }, 'perplexity'),
        ctx,
      );
      const { tokens, scored_tokens: scored, unscored_tail: tail, windows, total_nats: nats } = r.sums;
      expect(tokens).toBe(stream.length);
      expect(scored + windows + tail).toBe(tokens);
      let hand = 0;
      for (let i = 0; i < windows; i++) hand += handNll(stream.slice(i * seqlen, (i + 1) * seqlen));
      expect(nats).toBeCloseTo(hand, 5);
      expect(r.values.perplexity.value).toBeCloseTo(Math.exp(nats / scored), 9);
    },
  );

  it.each([
    [4, 1],
    [4, 3],
    [5, 2],
    [8, 8],
    [16, 5],
  ])(
    'strided, seqlen %i, stride %i: every token after the first once (stride < seqlen) or all but window starts (stride = seqlen)',
    async (seqlen, stride) => {
      const r = await new PerplexityMetric().evaluate(
        await loadModelRef(dir),
        data,
        parseParams(PERPLEXITY_PARAMS, { mode: 'strided', seqlen, stride }, 'perplexity'),
        ctx,
      );
      const { tokens, scored_tokens: scored, windows, total_nats: nats } = r.sums;
      const starts = stride === seqlen ? windows - 1 : 0; // each later window's first token has no target
      expect(scored + 1 + starts).toBe(tokens);
      let hand = handNll(stream);
      if (stride === seqlen)
        for (let w = 1; w < windows; w++) hand -= -Math.log(bigramP(stream[w * stride - 1], stream[w * stride]));
      expect(nats).toBeCloseTo(hand, 5);
      expect(r.values.perplexity.value).toBeCloseTo(Math.exp(nats / scored), 9);
    },
  );

  it('refuses --stride in classic mode, and a stride past --seqlen in strided mode', () => {
    expect(() => parseParams(PERPLEXITY_PARAMS, { stride: 8 }, 'perplexity')).toThrow(
      '--stride applies only with --mode strided',
    );
    expect(() => parseParams(PERPLEXITY_PARAMS, { mode: 'strided', seqlen: 8, stride: 9 }, 'perplexity')).toThrow(
      '--stride 9 must be at most --seqlen 8',
    );
  });
});

function bigramP(from: number, to: number): number {
  return Math.exp(-handNll([from, to]));
}
