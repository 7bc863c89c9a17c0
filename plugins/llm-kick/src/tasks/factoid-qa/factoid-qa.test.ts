import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRunContext,
  loadModelRef,
  OrtSessionFactory,
  parseParams,
  UserError,
  type MetricResult,
} from '@mc-kit/core';
import type { ItemScore } from '../../shared/index.js';
import { wordLmDir } from '../../judge/word-lm.fixture.js';
import {
  aliasHit,
  FACTOID_PARAMS,
  freebasePrompt,
  FreebaseQaDataset,
  KickFactoidQaMetric,
  parseFreebase,
} from './index.js';
import { expectDenominatorsHold } from '../../shared/denominators.fixture.js';
import { expectSameResult, stopAndResume } from '../../shared/resume.fixture.js';

const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
  seed: 1,
});

/** FreebaseQA's original JSON layout, 4 questions. */
function freebaseJson(): string {
  const q = (n: number, raw: string, aliases: string[], extraParse = false) => ({
    'Question-ID': `FreebaseQA-train-${n}`,
    RawQuestion: raw,
    ProcessedQuestion: raw.toLowerCase(),
    Parses: [
      {
        'Parse-Id': `FreebaseQA-train-${n}.P0`,
        PotentialTopicEntityMention: 'x',
        TopicEntityName: 'x',
        TopicEntityMid: 'm.0',
        InferentialChain: 'a.b',
        Answers: [{ AnswersMid: 'm.1', AnswersName: aliases }],
      },
      ...(extraParse
        ? [{ 'Parse-Id': `FreebaseQA-train-${n}.P1`, Answers: [{ AnswersMid: 'm.2', AnswersName: ['paris'] }] }]
        : []),
    ],
  });
  return JSON.stringify({
    Dataset: 'FreebaseQA-train',
    Version: '1.0',
    Questions: [
      q(0, 'Which city is the capital of France?', ['paris']),
      q(1, 'Which city is the capital of England?', ['london'], true), // the second parse's "paris" is ignored (quirk d)
      q(2, 'Which Paris museum holds the Mona Lisa?', ['the louvre', 'paris']),
      q(3, 'Which museum holds the Mona Lisa?', ['Mona Lisa']), // alias only in the question
    ],
  });
}

const DIR = mkdtempSync(join(tmpdir(), 'mc-freebase-'));
writeFileSync(join(DIR, 'FreebaseQA-train.json'), freebaseJson());
// Greedy: after "is" the model says "Paris" then </s>; the prompt ends "The answer is ". Faithful mode decodes
// the prompt's tokens, so words outside the vocabulary come back as <unk>: "Mona Lisa?" is in it.
const MODEL = wordLmDir(
  ['Please', 'give', 'answer', 'to', 'this', 'question:', 'The', 'is', 'Paris', 'Mona', 'Lisa?'],
  { is: 'Paris' },
);

async function run(raw: Record<string, unknown>, limit?: number): Promise<MetricResult> {
  const data = await new FreebaseQaDataset().open({ ref: DIR, path: DIR, limit }, ctx);
  return new KickFactoidQaMetric().evaluate(
    await loadModelRef(MODEL),
    data,
    parseParams(FACTOID_PARAMS, raw, 'kick-factoid-qa'),
    ctx,
  );
}

describe('FreebaseQA prompt and hit rule (main_freebase.py)', () => {
  it('builds the prompt byte for byte, newline and GPTQ space variants', () => {
    expect(freebasePrompt('Who wrote Hamlet?')).toBe(
      'Please give answer to this question: Who wrote Hamlet?\nThe answer is ',
    );
    expect(freebasePrompt('Who wrote Hamlet?', 'space')).toBe(
      'Please give answer to this question: Who wrote Hamlet? The answer is ',
    );
  });
  it('matches an alias as a substring after removing spaces and lowercasing only', () => {
    expect(aliasHit('It is William Shakespeare.', ['william shakespeare'])).toBe(true);
    expect(aliasHit('Shakes-peare', ['shakespeare'])).toBe(false); // no punctuation normalization (quirk c)
    expect(aliasHit('St Paul', ['st. paul'])).toBe(false);
  });
  it('reads Parses[0].Answers[0].AnswersName and refuses other JSON', () => {
    expect(parseFreebase(freebaseJson(), 'f.json')[1]).toEqual({
      id: 'FreebaseQA-train-1',
      question: 'Which city is the capital of England?',
      aliases: ['london'],
    });
    expect(() => parseFreebase('{"data": []}', 'f.json')).toThrow(/no "Questions" list/);
  });
});

describe('kick-factoid-qa on a model that always answers "Paris"', () => {
  it('clean: matches the generation only: q0 and q2 hit, q1 and q3 miss', async () => {
    const r = await run({ 'log-samples': true });
    expect(r.details?.items).toEqual(
      [0, 1, 0, 1].map((_, i) => ({ id: `FreebaseQA-train-${i}`, score: [1, 0, 1, 0][i] })),
    );
    expect(r.values.exact_match.value).toBe(0.5);
    const samples = r.details?.samples as ItemScore[];
    expect(samples[0].output).toBe('Paris');
    expect(samples[0].prompt).toBe(
      'Please give answer to this question: Which city is the capital of France?\nThe answer is ',
    );
  });

  it('faithful: prompt + generation is matched (q3 hits on its own question) and --limit N scores N+1', async () => {
    const all = await run({ faithful: true });
    expect(all.details?.items).toEqual([1, 0, 1, 1].map((score, i) => ({ id: `FreebaseQA-train-${i}`, score })));
    const limited = await run({ faithful: true }, 2);
    expect(limited.samples).toBe(3); // questions 0, 1, 2
    expect(limited.details?.exact_match_reference).toBe(1); // 2 hits / 2, as the reference divides by N
    expect((await run({}, 2)).samples).toBe(2);
  });

  it('refuses a folder without the train split, and a prompt that does not fit, naming the question', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'mc-freebase-'));
    await expect(new FreebaseQaDataset().open({ ref: empty, path: empty }, ctx)).rejects.toThrow(/no train split/);
    const tiny = wordLmDir(['is', 'Paris'], { is: 'Paris' }, 12);
    const data = await new FreebaseQaDataset().open({ ref: DIR, path: DIR }, ctx);
    const err = await new KickFactoidQaMetric()
      .evaluate(await loadModelRef(tiny), data, parseParams(FACTOID_PARAMS, {}, 'kick-factoid-qa'), ctx)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/item FreebaseQA-train-0: the prompt is 16 tokens/);
  });
});

describe('kick-factoid-qa denominators (issue 17 audit)', () => {
  it('divides by the questions it scored, clean and faithful (N+1 scored; the reference figure divides by N)', async () => {
    for (const [raw, limit] of [
      [{}, undefined],
      [{ faithful: true }, 2],
      [{}, 2],
    ] as const) {
      const r = await run(raw, limit);
      expectDenominatorsHold(r, 'exact_match');
      expect(r.details?.questionsScored).toBe(r.sums.items);
    }
    const limited = await run({ faithful: true }, 2);
    const firstTwo = (limited.details?.items as { score: number }[]).slice(0, 2).reduce((t, i) => t + i.score, 0);
    expect(limited.details?.exact_match_reference).toBe(
      (firstTwo + (limited.details?.items as { score: number }[])[2].score) / 2,
    );
  });
});

describe('kick-factoid-qa under eval --resume', () => {
  it('a run stopped after 2 of 4 questions, or in the baseline pass, continues where it stopped; the result equals a clean run', async () => {
    const LONDON = wordLmDir(['Please', 'give', 'answer', 'to', 'this', 'question:', 'The', 'is', 'London'], {
      is: 'London',
    });
    const data = await new FreebaseQaDataset().open({ ref: DIR, path: DIR }, ctx);
    const model = await loadModelRef(MODEL);
    const baseline = await loadModelRef(LONDON);
    const evaluate = (withBaseline: boolean) => (c: typeof ctx) =>
      new KickFactoidQaMetric().evaluate(
        model,
        data,
        parseParams(FACTOID_PARAMS, { 'batch-size': 1, 'log-samples': true }, 'kick-factoid-qa'),
        c,
        { baseline: withBaseline ? baseline : undefined },
      );
    const modelPart = `generate-${model.sha256.slice(0, 16)}`;
    const basePart = `generate-${baseline.sha256.slice(0, 16)}`;

    const half = await stopAndResume(evaluate(false), ctx, 2);
    expect(half.left).toEqual({ [modelPart]: 2 });
    expect(half.read).toBe(2);
    expect(half.after).toEqual({ [modelPart]: 4 }); // 2 kept + 2 generated now, none twice
    expectSameResult(half.resumed, half.clean);
    expect(half.clean.values.exact_match.value).toBe(0.5);

    const inBaseline = await stopAndResume(evaluate(true), ctx, 5);
    expect(inBaseline.left).toEqual({ [modelPart]: 4, [basePart]: 1 });
    expect(inBaseline.after).toEqual({ [modelPart]: 4, [basePart]: 4 });
    expectSameResult(inBaseline.resumed, inBaseline.clean);
    expect(inBaseline.clean.values['exact_match.baseline'].value).toBe(0.25); // "London" hits q1 only
  });
});
