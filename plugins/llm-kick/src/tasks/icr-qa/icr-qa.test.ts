import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunContext, loadModelRef, OrtSessionFactory, parseParams, type MetricResult } from '@mc-kit/core';
import { wordLmDir } from '../../judge/word-lm.fixture.js';
import {
  evidenceOf,
  ICR_PARAMS,
  icrPrompt,
  KickIcrQaMetric,
  prediction,
  promptEnd,
  TriviaQaRcDataset,
} from './index.js';
import { expectDenominatorsHold } from '../../shared/denominators.fixture.js';
import { expectSameResult, stopAndResume } from '../../shared/resume.fixture.js';

const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
  seed: 1,
});

/** A triviaqa-rc folder in the tarball's layout: qa/web-dev.json + qa/wikipedia-dev.json + evidence/. */
function triviaDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-trivia-'));
  mkdirSync(join(dir, 'qa'));
  mkdirSync(join(dir, 'evidence/wikipedia'), { recursive: true });
  mkdirSync(join(dir, 'evidence/web'), { recursive: true });
  const entry = (id: string, q: string, aliases: string[], wiki?: string, web?: string) => ({
    Answer: {
      Aliases: aliases,
      NormalizedAliases: aliases,
      NormalizedValue: aliases[0],
      Type: 'WikipediaEntity',
      Value: aliases[0],
    },
    EntityPages: wiki ? [{ DocSource: 'TagMe', Filename: wiki, Title: wiki }] : [],
    Question: q,
    QuestionId: id,
    QuestionSource: 'http://example',
    SearchResults: web ? [{ Description: '', DisplayUrl: '', Filename: web, Rank: 0, Title: '', Url: '' }] : [],
  });
  writeFileSync(
    join(dir, 'qa/web-dev.json'),
    JSON.stringify({
      Data: [entry('tc_1', 'Capital of France?', ['paris'], 'France.txt', 'web_1.txt')],
      Domain: 'Web',
      Split: 'dev',
      Version: 1.0,
      VerifiedEval: false,
    }),
  );
  writeFileSync(
    join(dir, 'qa/wikipedia-dev.json'),
    JSON.stringify({
      Data: [
        entry('tc_2', 'Capital of France and its country?', ['paris france']),
        entry('tc_3', 'Capital of England?', ['london', 'city of london'], 'England.txt'),
      ],
      Domain: 'Wikipedia',
      Split: 'dev',
      Version: 1.0,
      VerifiedEval: false,
    }),
  );
  writeFileSync(join(dir, 'evidence/wikipedia/France.txt'), 'France is a country.');
  writeFileSync(join(dir, 'evidence/web/web_1.txt'), 'Paris is its capital.');
  return dir;
}

const DIR = triviaDir();
const SAYS_PARIS = wordLmDir(['Answer', 'these', 'questions:', 'Q:', 'A:', 'Paris'], { 'A:': 'Paris' });
const SAYS_NOTHING = wordLmDir(['Answer', 'these', 'questions:', 'Q:', 'A:'], {});

async function run(model: string, raw: Record<string, unknown>): Promise<MetricResult> {
  const data = await new TriviaQaRcDataset().open({ ref: DIR, path: DIR }, ctx);
  return new KickIcrQaMetric().evaluate(
    await loadModelRef(model),
    data,
    parseParams(ICR_PARAMS, raw, 'kick-icr-qa'),
    ctx,
  );
}

describe('ICR-QA prompts (main_icrqa.py)', () => {
  it('closed- and open-book prompts byte for byte; the context cut at 3,072 characters', () => {
    expect(icrPrompt('Who?', 'ignored', false)).toBe('Answer these questions:\n\nQ: Who?\nA:');
    expect(icrPrompt('Who?', 'Some text. ', true)).toBe(
      'Some text. \n\nBased on these texts, answer these questions:\n\nQ: Who?\nA:',
    );
    expect(icrPrompt('Who?', '', true)).toBe('Based on these texts, answer these questions:\n\nQ: Who?\nA:'); // stripped
    const long = `${'é'.repeat(3000)}${'x'.repeat(100)}`;
    expect(icrPrompt('Who?', long, true)).toBe(`${'é'.repeat(3000)}${'x'.repeat(72)}\n\n${promptEnd('Who?', true)}`);
  });

  it('reads the first line after prompt_end (faithful) or of the generation (clean)', () => {
    const end = promptEnd('Who?', false);
    expect(prediction(' Paris\nQ: next', `${end} Paris\nQ: next`, end, true)).toBe('Paris');
    expect(prediction('\n\n Rome \nx', 'garbled', end, false)).toBe('Rome '); // strip() then split: the line keeps its own trailing space
  });

  it('evidence = wiki page 0 + web result 0 with no separator; web-dev before wikipedia-dev', async () => {
    const data = await new TriviaQaRcDataset().open({ ref: DIR, path: DIR }, ctx);
    expect(data.questions.map((q) => q.id)).toEqual(['web/tc_1', 'wikipedia/tc_2', 'wikipedia/tc_3']);
    expect(evidenceOf(data, data.questions[0])).toBe('France is a country.Paris is its capital.');
    expect(evidenceOf(data, data.questions[1])).toBe('');
  });
});

describe('kick-icr-qa', () => {
  it('scores containment EM and token F1 by hand: EM 2/3, F1 (1 + 2/3 + 0)/3', async () => {
    const r = await run(SAYS_PARIS, {});
    expect(r.details?.items).toEqual([
      { id: 'web/tc_1', score: 1 },
      { id: 'wikipedia/tc_2', score: 1 },
      { id: 'wikipedia/tc_3', score: 0 },
    ]);
    expect(r.values.exact_match.value).toBeCloseTo(2 / 3, 12);
    expect(r.details?.f1).toBeCloseTo(5 / 9, 12);
    expect(r.details?.exact_match_strict).toBeCloseTo(1 / 3, 12);
  });

  it('an empty prediction: EM 1 for every question when faithful, 0 when clean; F1 0 in both', async () => {
    const faithful = await run(SAYS_NOTHING, { faithful: true });
    expect(faithful.values.exact_match.value).toBe(1);
    expect(faithful.details?.f1).toBe(0);
    expect(faithful.details?.empty_predictions).toBe(3);
    expect((await run(SAYS_NOTHING, {})).values.exact_match.value).toBe(0);
  });

  it('open-book runs need the evidence; a data folder without the split is refused', async () => {
    const noEvidence = triviaDir();
    writeFileSync(
      join(noEvidence, 'qa/web-dev.json'),
      JSON.stringify({
        Data: [
          {
            Question: 'Q?',
            QuestionId: 'x',
            Answer: { NormalizedAliases: ['a'] },
            EntityPages: [{ Filename: 'Gone.txt' }],
            SearchResults: [],
          },
        ],
      }),
    );
    const data = await new TriviaQaRcDataset().open({ ref: noEvidence, path: noEvidence }, ctx);
    await expect(
      new KickIcrQaMetric().evaluate(
        await loadModelRef(SAYS_PARIS),
        data,
        parseParams(ICR_PARAMS, { book: 'open' }, 'kick-icr-qa'),
        ctx,
      ),
    ).rejects.toThrow(/question web\/x: evidence file evidence\/wikipedia\/Gone.txt is missing/);
    const empty = mkdtempSync(join(tmpdir(), 'mc-trivia-'));
    mkdirSync(join(empty, 'qa'));
    await expect(new TriviaQaRcDataset().open({ ref: empty, path: empty }, ctx)).rejects.toThrow(/no validation split/);
  });
});

describe('kick-icr-qa denominators (issue 17 audit)', () => {
  it('EM, F1 and the strict EM all divide by the questions scored', async () => {
    for (const [model, raw] of [
      [SAYS_PARIS, {}],
      [SAYS_NOTHING, { faithful: true }],
    ] as const) {
      const r = await run(model, raw);
      expectDenominatorsHold(r, 'exact_match');
      const samples = r.details?.items as unknown[];
      expect(samples).toHaveLength(3);
    }
  });
});

describe('triviaqa-rc reads nothing outside its evidence folders (issue 17)', () => {
  async function openBook(filename: string, setup?: (dir: string) => void): Promise<unknown> {
    const dir = triviaDir();
    setup?.(dir);
    writeFileSync(
      join(dir, 'qa/web-dev.json'),
      JSON.stringify({
        Data: [
          {
            Question: 'Q?',
            QuestionId: 'x',
            Answer: { NormalizedAliases: ['a'] },
            EntityPages: [{ Filename: filename }],
            SearchResults: [],
          },
        ],
      }),
    );
    const data = await new TriviaQaRcDataset().open({ ref: dir, path: dir }, ctx);
    return new KickIcrQaMetric().evaluate(
      await loadModelRef(SAYS_PARIS),
      data,
      parseParams(ICR_PARAMS, { book: 'open', 'log-samples': true }, 'kick-icr-qa'),
      ctx,
    );
  }

  it('refuses an evidence Filename that climbs out, before any prompt is built', async () => {
    await expect(openBook('../../../SECRET.txt')).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: expect.stringContaining('points outside its folder (../../../SECRET.txt)'),
    });
  });

  it('refuses an evidence file that is a link out of the folder', async () => {
    const secret = join(mkdtempSync(join(tmpdir(), 'mc-secret-')), 'SECRET.txt');
    writeFileSync(secret, 'the launch codes');
    await expect(
      openBook('Linked.txt', (dir) => symlinkSync(secret, join(dir, 'evidence/wikipedia/Linked.txt'))),
    ).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: expect.stringContaining('link that leads outside its folder'),
    });
  });
});

describe('kick-icr-qa under eval --resume', () => {
  it('a run stopped after its first batch, or in the baseline pass, continues where it stopped; the result equals a clean run', async () => {
    const data = await new TriviaQaRcDataset().open({ ref: DIR, path: DIR }, ctx);
    const model = await loadModelRef(SAYS_PARIS);
    const baseline = await loadModelRef(SAYS_NOTHING);
    const evaluate = (raw: Record<string, unknown>, withBaseline: boolean) => (c: typeof ctx) =>
      new KickIcrQaMetric().evaluate(
        model,
        data,
        parseParams(ICR_PARAMS, { 'log-samples': true, ...raw }, 'kick-icr-qa'),
        c,
        { baseline: withBaseline ? baseline : undefined },
      );
    const modelPart = `generate-${model.sha256.slice(0, 16)}`;
    const basePart = `generate-${baseline.sha256.slice(0, 16)}`;

    // batches of 2: the first (2 questions) recorded whole, the second generated on resume
    const half = await stopAndResume(evaluate({ 'batch-size': 2 }, false), ctx, 1);
    expect(half.left).toEqual({ [modelPart]: 2 });
    expect(half.after).toEqual({ [modelPart]: 3 });
    expectSameResult(half.resumed, half.clean);
    expect(half.clean.values.exact_match.value).toBeCloseTo(2 / 3, 12);

    const inBaseline = await stopAndResume(evaluate({ 'batch-size': 1 }, true), ctx, 4);
    expect(inBaseline.left).toEqual({ [modelPart]: 3, [basePart]: 1 });
    expect(inBaseline.read).toBe(4);
    expect(inBaseline.after).toEqual({ [modelPart]: 3, [basePart]: 3 });
    expectSameResult(inBaseline.resumed, inBaseline.clean);
  });
});
