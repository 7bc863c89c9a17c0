import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCheckpointStore,
  createRunContext,
  DataType,
  loadModelRef,
  OrtSessionFactory,
  parseParams,
  type MetricResult,
} from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { wordLmDir } from '../../judge/word-lm.fixture.js';
import { KickSummarizationMetric, SUMMARIZATION_PARAMS, SummarizationDatasetProvider } from '../summarization/index.js';
import { InstructionDatasetProvider, INSTRUCTION_PARAMS, KickInstructionMetric } from './index.js';
import { expectDenominatorsHold } from '../../shared/denominators.fixture.js';
import { expectSameResult, stopAndResume } from '../../shared/resume.fixture.js';
import type { ItemScore } from '../../shared/index.js';

const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
  seed: 0,
});
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const judgePrompt = (id: number, category: string) => ({
  prompt_id: id,
  system_prompt: 'Judge.',
  prompt_template: '[Question]\n{question}\n\n[1]\n{answer_1}\n\n[2]\n{answer_2}\n\n[System]\n{prompt}\n\n',
  defaults: { prompt: 'Two scores.' },
  description: '',
  category,
});

function instructionDir(withAnswers = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-vicuna80-'));
  writeFileSync(
    join(dir, 'table_question.jsonl'),
    jsonl([
      { question_id: 1, text: 'How can I sleep better?', category: 'generic' },
      { question_id: 2, text: 'Write a sort.', category: 'coding' },
      { question_id: 3, text: 'What is 2+2?', category: 'math' },
    ]),
  );
  if (withAnswers)
    writeFileSync(
      join(dir, 'answer.jsonl'),
      jsonl(
        [1, 2, 3].map((q) => ({
          answer_id: `a${q}`,
          question_id: q,
          model_id: 'gpt-3.5-turbo',
          text: `Reference ${q}`,
        })),
      ),
    );
  writeFileSync(
    join(dir, 'table_prompt.jsonl'),
    jsonl([judgePrompt(1, 'general'), judgePrompt(2, 'coding'), judgePrompt(3, 'math')]),
  );
  return dir;
}

// The model answers "Sure"; the dense model "Sure thing"; the judge always replies "8 6", so the answer
// gets 6 when it is Assistant 2 and 8 when it is Assistant 1.
const MODEL = wordLmDir(['ASSISTANT:', 'Sure'], { 'ASSISTANT:': 'Sure' });
const DENSE = wordLmDir(['ASSISTANT:', 'Sure', 'thing'], { 'ASSISTANT:': 'Sure', Sure: 'thing' });
const JUDGE = wordLmDir(['ASSISTANT:', '8', '6'], { 'ASSISTANT:': '8', 8: '6' });
const MUMBLER = wordLmDir(['ASSISTANT:', 'good'], { 'ASSISTANT:': 'good' });

async function instruction(raw: Record<string, unknown>, dir = instructionDir()): Promise<MetricResult> {
  const data = await new InstructionDatasetProvider().open({ ref: dir, path: dir }, ctx);
  return new KickInstructionMetric().evaluate(
    await loadModelRef(MODEL),
    data,
    parseParams(
      INSTRUCTION_PARAMS,
      { temperature: 0, 'max-new-tokens': 8, 'judge-max-new-tokens': 8, ...raw },
      'kick-instruction',
    ),
    ctx,
  );
}

describe('kick-instruction', () => {
  it('judge-free: ROUGE-L against the dense answers (by hand: "Sure" vs "Sure thing" -> 2/3), empty rate, distinct-n', async () => {
    const r = await instruction({ dense: DENSE });
    expect(r.values.rougeL.value).toBeCloseTo(2 / 3, 12);
    expect(r.details).toMatchObject({ empty_rate: 0, distinct_1: 1 / 3, rouge2: 0 });
    expect(r.details?.rouge1).toBeCloseTo(2 / 3, 12);
    expect(r.values['category/coding'].value).toBeCloseTo(2 / 3, 12);
  });

  it('judge: both orders averaged (6 as Assistant 2, 8 as Assistant 1 -> 7); faithful asks once, GPT-3.5 first (-> 6)', async () => {
    const clean = await instruction({ judge: JUDGE });
    expect(clean.values.judge_score.value).toBe(7);
    expect(clean.details).toMatchObject({ judged: 3, unparsed: [], reference_score: 7 });
    const faithful = await instruction({ judge: JUDGE, faithful: true });
    expect(faithful.values.judge_score.value).toBe(6);
    expect(faithful.details).toMatchObject({ reference_score: 8, score_ratio: 0.75 });
  });

  it('replies with no scores are left out and listed; when none parses the run is refused', async () => {
    await expect(instruction({ judge: MUMBLER })).rejects.toThrow(/no judge reply could be read/);
  });

  it('refuses a judge that is not a causal LM, and a data folder without its answers', async () => {
    const g = new GraphBuilder({ opset: 17 });
    g.output(g.identity(g.input('pixels', DataType.FLOAT, [1, 4])), DataType.FLOAT, [1, 4]);
    const notLm = mkdtempSync(join(tmpdir(), 'mc-not-lm-'));
    writeFileSync(join(notLm, 'model.onnx'), g.toBytes());
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'config.json'])
      copyFileSync(join(MODEL, f), join(notLm, f));
    await expect(instruction({ judge: notLm })).rejects.toThrow(
      /--judge .*: not a causal LM: it needs an input_ids input and a logits output/,
    );
    const dir = instructionDir(false);
    await expect(new InstructionDatasetProvider().open({ ref: dir, path: dir }, ctx)).rejects.toThrow(
      /no reference answers \(answer.jsonl\)/,
    );
  });
});

describe('kick-summarization', () => {
  function summaryDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'mc-summ-'));
    writeFileSync(
      join(dir, 'questions.jsonl'),
      jsonl([
        {
          question_id: 1,
          text: 'Summarize the given story in less than 150 words while preserving high coherence, consistency, fluency, and relevance.\n\nA story.',
          category: 'small',
        },
        { question_id: 61, text: 'Summarize the given news ...\n\nA long story.', category: 'large' },
      ]),
    );
    writeFileSync(join(dir, 'judge_prompt.jsonl'), jsonl([judgePrompt(1, 'small'), judgePrompt(3, 'large')]));
    return dir;
  }

  async function summarization(raw: Record<string, unknown>, model = MODEL): Promise<MetricResult> {
    const dir = summaryDir();
    const data = await new SummarizationDatasetProvider().open({ ref: dir, path: dir }, ctx);
    return new KickSummarizationMetric().evaluate(
      await loadModelRef(model),
      data,
      parseParams(
        SUMMARIZATION_PARAMS,
        { temperature: 0, 'max-new-tokens': 8, 'judge-max-new-tokens': 8, ...raw },
        'kick-summarization',
      ),
      ctx,
    );
  }

  it('the judge needs the dense summaries (the GPT-3.5 ones were never committed)', async () => {
    await expect(summarization({ judge: JUDGE })).rejects.toThrow(/none is there/);
  });

  it('a one-line "8 6" reply is not four score lines: nothing parses', async () => {
    await expect(summarization({ judge: JUDGE, dense: DENSE })).rejects.toThrow(/no judge reply could be read/);
  });

  it('ROUGE against the dense model, per category; a model saying nothing is 100% empty', async () => {
    const r = await summarization({ dense: DENSE });
    expect(r.values.rougeL.value).toBeCloseTo(2 / 3, 12);
    expect(Object.keys(r.values)).toEqual(expect.arrayContaining(['category/small', 'category/large']));
    const silent = await summarization({}, wordLmDir(['ASSISTANT:'], {}));
    expect(silent.values.non_empty.value).toBe(0);
    expect(silent.details?.empty_rate).toBe(1);
  });

  it('a prompt too long for the context is refused naming it, or answered empty with --too-long skip', async () => {
    const short = wordLmDir(['ASSISTANT:', 'Sure'], { 'ASSISTANT:': 'Sure' }, 40);
    await expect(summarization({}, short)).rejects.toThrow(/item summarization\/1: the prompt is \d+ tokens/);
    const skipped = await summarization({ 'too-long': 'skip' }, short);
    expect(skipped.details?.too_long).toBe(1); // question 1's long instruction does not fit 40 positions; question 61's short one does
    expect(skipped.details?.empty_rate).toBe(0.5);
  });

  it('denominators (issue 17 audit): ROUGE-L and per-category means divide by the items summed; a too-long item answered empty still counts once', async () => {
    expectDenominatorsHold(await summarization({ dense: DENSE }), 'rougeL');
    const skipped = await summarization(
      { 'too-long': 'skip' },
      wordLmDir(['ASSISTANT:', 'Sure'], { 'ASSISTANT:': 'Sure' }, 40),
    );
    expectDenominatorsHold(skipped, 'non_empty');
    expect(skipped.sums.items).toBe(2);
  });
});

describe('kick-instruction denominators (issue 17 audit)', () => {
  it('the judge score, ROUGE-L and the per-category means divide by the items they summed', async () => {
    expectDenominatorsHold(await instruction({ judge: JUDGE }), 'judge_score');
    expectDenominatorsHold(await instruction({ dense: DENSE }), 'rougeL');
    expectDenominatorsHold(await instruction({}), 'non_empty');
  });
});

describe('kick-instruction and kick-summarization under eval --resume (sampled)', () => {
  // T 3 over the word LM's logits (5 on one word, 0 elsewhere): answers of random length and words, so a
  // resumed answer that drew from another random stream than the clean run's would differ.
  const SAMPLED = {
    temperature: 3,
    'top-k': 0,
    'max-new-tokens': 8,
    'judge-max-new-tokens': 8,
    'batch-size': 1,
    'log-samples': true,
  };
  const part = (step: string, dir: string) => loadModelRef(dir).then((m) => `${step}-${m.sha256.slice(0, 16)}`);

  it('kick-instruction: stopped in the answers, in the dense answers, or after the judge, it continues; the result equals a clean run', async () => {
    const dir = instructionDir();
    const data = await new InstructionDatasetProvider().open({ ref: dir, path: dir }, ctx);
    const model = await loadModelRef(MODEL);
    const evaluate = (c: typeof ctx) =>
      new KickInstructionMetric().evaluate(
        model,
        data,
        parseParams(INSTRUCTION_PARAMS, { ...SAMPLED, judge: JUDGE, dense: DENSE }, 'kick-instruction'),
        c,
      );
    const [answers, dense, judged] = [
      await part('generate', MODEL),
      await part('generate', DENSE),
      await part(`judge-${(await loadModelRef(JUDGE)).sha256.slice(0, 16)}`, MODEL),
    ];

    const first = await stopAndResume(evaluate, ctx, 2);
    expect(new Set((first.clean.details?.samples as ItemScore[]).map((s) => s.output)).size).toBeGreaterThan(1); // really sampled
    expect(first.left).toEqual({ [answers]: 2 });
    expect(first.after).toEqual({ [answers]: 3, [dense]: 3, [judged]: 6 });
    expectSameResult(first.resumed, first.clean);

    const second = await stopAndResume(evaluate, ctx, 4);
    expect(second.left).toEqual({ [answers]: 3, [dense]: 1 });
    expectSameResult(second.resumed, second.clean);

    // a run killed after all generation, before its result was written: nothing is generated again
    const root = join(mkdtempSync(join(tmpdir(), 'mc-kick-resume-')), '.cache');
    const done = await createCheckpointStore(root, { key: 1 });
    await evaluate({ ...ctx, checkpoints: done });
    await done.close(false);
    const again = await createCheckpointStore(root, { key: 1 });
    expectSameResult(await evaluate({ ...ctx, checkpoints: again }), first.clean);
    expect(again.resumed()).toBe(12);
    await again.close(false);
    for (const [p, n] of [
      [answers, 3],
      [dense, 3],
      [judged, 6],
    ] as const)
      expect(
        readFileSync(join(again.dir, `${p}.jsonl`), 'utf8')
          .trim()
          .split('\n'),
      ).toHaveLength(n);
  });

  it('kick-summarization: stopped in the answers or in the dense answers, it continues; the result equals a clean run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-summ-'));
    writeFileSync(
      join(dir, 'questions.jsonl'),
      jsonl(
        [1, 2, 3].map((q) => ({
          question_id: q,
          text: `Summarize the given story.\n\nStory ${q}.`,
          category: 'small',
        })),
      ),
    );
    writeFileSync(join(dir, 'judge_prompt.jsonl'), jsonl([judgePrompt(1, 'small')]));
    const data = await new SummarizationDatasetProvider().open({ ref: dir, path: dir }, ctx);
    const model = await loadModelRef(MODEL);
    const evaluate = (c: typeof ctx) =>
      new KickSummarizationMetric().evaluate(
        model,
        data,
        parseParams(SUMMARIZATION_PARAMS, { ...SAMPLED, dense: DENSE }, 'kick-summarization'),
        c,
      );
    const [answers, dense] = [await part('generate', MODEL), await part('generate', DENSE)];

    const first = await stopAndResume(evaluate, ctx, 1);
    expect(first.left).toEqual({ [answers]: 1 });
    expect(first.after).toEqual({ [answers]: 3, [dense]: 3 });
    expectSameResult(first.resumed, first.clean);
    expect(new Set((first.clean.details?.samples as ItemScore[]).map((s) => s.output)).size).toBeGreaterThan(1);

    const second = await stopAndResume(evaluate, ctx, 5);
    expect(second.left).toEqual({ [answers]: 3, [dense]: 2 });
    expectSameResult(second.resumed, second.clean);
  });

  it('a repeated item id (one story four times) keeps one record per repeat: each repeat draws its own sample', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-summ-'));
    writeFileSync(
      join(dir, 'questions.jsonl'),
      jsonl(
        [1, 1, 1, 1].map((q) => ({ question_id: q, text: 'Summarize the given story.\n\nStory.', category: 'small' })),
      ),
    );
    writeFileSync(join(dir, 'judge_prompt.jsonl'), jsonl([judgePrompt(1, 'small')]));
    const data = await new SummarizationDatasetProvider().open({ ref: dir, path: dir }, ctx);
    const model = await loadModelRef(MODEL);
    const evaluate = (c: typeof ctx) =>
      new KickSummarizationMetric().evaluate(
        model,
        data,
        parseParams(SUMMARIZATION_PARAMS, SAMPLED, 'kick-summarization'),
        c,
      );
    const r = await stopAndResume(evaluate, ctx, 2);
    expect(new Set((r.clean.details?.samples as ItemScore[]).map((s) => s.output)).size).toBeGreaterThan(1); // one prompt, several samples
    expect(r.left).toEqual({ [await part('generate', MODEL)]: 2 });
    expectSameResult(r.resumed, r.clean);
  });
});
