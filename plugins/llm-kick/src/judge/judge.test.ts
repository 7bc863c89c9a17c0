import { join } from 'node:path';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fillJudgeTemplate, parseFourPairs, parsePairScore, readJudgePrompts, vicunaPrompt } from './index.js';

const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..', 'shared');
const DATA = join(SHARED, 'data/llm-kick');
const present = existsSync(join(DATA, 'instruction/table_prompt.jsonl'));
if (!present)
  console.warn(
    `judge prompt tests on the reference files skipped: ${DATA} is absent (the shared folder sits beside the repo, at ../shared)`,
  );

describe('Vicuna v1.1 template (FastChat, lmsys/vicuna-7b-v1.3)', () => {
  it('is byte-equal to the spec', () => {
    expect(vicunaPrompt('How can I improve my time management skills?')).toBe(
      "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions. USER: How can I improve my time management skills? ASSISTANT:",
    );
  });
});

(present ? describe : describe.skip)('the reference judge prompts', () => {
  it('instruction: the general template filled as the spec writes it', () => {
    const [general, coding, math] = readJudgePrompts(join(DATA, 'instruction/table_prompt.jsonl'));
    expect([general.id, coding.id, math.id]).toEqual([1, 2, 3]);
    expect(general.system).toBe('You are a helpful and precise assistant for checking the quality of the answer.');
    expect(fillJudgeTemplate(general, 'Q {x}?', 'gpt35', 'model')).toBe(
      `[Question]\nQ {x}?\n\n[The Start of Assistant 1's Answer]\ngpt35\n\n[The End of Assistant 1's Answer]\n\n[The Start of Assistant 2's Answer]\nmodel\n\n[The End of Assistant 2's Answer]\n\n[System]\n${general.instructions}\n\n`,
    );
    expect(general.instructions.startsWith('We would like to request your feedback')).toBe(true);
  });

  it("summarization: the label inconsistency kept (Assistant 2's Answer ... End of Assistant 2's Summary)", () => {
    const [small] = readJudgePrompts(join(DATA, 'summarization/judge_prompt.jsonl'));
    expect(small.system).toBe(
      'You are a helpful and precise assistant for checking the quality of the summarization of two stories within 150 words.',
    );
    expect(fillJudgeTemplate(small, 'S', 'A1', 'A2')).toBe(
      `[Story]\nS\n\n[The Start of Assistant 1's Summary]\nA1\n\n[The End of Assistant 1's Summary]\n\n[The Start of Assistant 2's Answer]\nA2\n\n[The End of Assistant 2's Summary]\n\n[System]\n${small.instructions}\n\n`,
    );
  });
});

describe('parsing the judge replies', () => {
  it('pair, faithful: the first line, "," -> " ", exactly two floats', () => {
    expect(parsePairScore('8 7\nAssistant 1 was more detailed.', true)).toEqual([8, 7]);
    expect(parsePairScore('9,6.5\nx', true)).toEqual([9, 6.5]);
    expect(parsePairScore('9, 6', true)).toBeUndefined(); // "9  6" splits into three tokens
    expect(parsePairScore('(8, 6)', true)).toBeUndefined(); // the math prompt's Python tuple
    expect(parsePairScore('Scores: 8 and 6', true)).toBeUndefined();
    expect(parsePairScore('', true)).toBeUndefined();
  });

  it('pair, clean: the first two numbers anywhere, each in 0..10', () => {
    expect(parsePairScore('(8, 6)', false)).toEqual([8, 6]);
    expect(parsePairScore('Assistant 1: 7.5\nAssistant 2: 9', false)).toEqual([7.5, 9]);
    expect(parsePairScore('I cannot judge this.', false)).toBeUndefined();
    expect(parsePairScore('80 60', false)).toBeUndefined();
  });

  it('four pairs, faithful: lines 0-3, two leading floats each', () => {
    expect(parseFourPairs('8 7\n9 6\n10 8\n7 7\nBecause...', true)).toEqual([
      [8, 7],
      [9, 6],
      [10, 8],
      [7, 7],
    ]);
    expect(parseFourPairs('Coherence: 8 7\n9 6\n10 8\n7 7', true)).toBeUndefined();
    expect(parseFourPairs('8 7\n9 6\n10 8', true)).toBeUndefined();
  });

  it('four pairs, clean: the first four lines holding two numbers', () => {
    expect(parseFourPairs('Scores:\nCoherence: 8 7\nConsistency: 9 6\nFluency: 10 8\nRelevance: 7 7', false)).toEqual([
      [8, 7],
      [9, 6],
      [10, 8],
      [7, 7],
    ]);
    expect(parseFourPairs('8 7\nno numbers', false)).toBeUndefined();
  });
});
