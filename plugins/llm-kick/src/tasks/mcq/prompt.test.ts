import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRunContext, OrtSessionFactory } from '@mc-kit/core';
import { MmluDataset } from './dataset.js';
import { cellText, fewShotPrefix, formatExample, formatSubject, header } from './prompt.js';
import type { McqQuestion } from './types.js';

// Spec llm-kick.md §2.2, "Example prompt ending (abstract_algebra, test row 0, gold answer B)".
const SPEC_ENDING =
  '…Answer: B\n\nFind the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:';
const ROW0: McqQuestion = {
  id: 'abstract_algebra/test/0',
  question: 'Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.',
  choices: ['0', '4', '2', '6'],
  answer: 'B',
};

describe('the MMLU prompt of main_mmlu.py', () => {
  it('puts a space before every word of the subject, hence "about  abstract algebra"', () => {
    expect(formatSubject('abstract_algebra')).toBe(' abstract algebra');
    expect(header('abstract_algebra')).toBe(
      'The following are multiple choice questions (with answers) about  abstract algebra.\n\n',
    );
  });

  it('ends a question at "\\nAnswer:" with no trailing space, byte for byte as the spec example', () => {
    expect(formatExample(ROW0, false, false)).toBe(SPEC_ENDING.slice('…Answer: B\n\n'.length));
  });

  it('writes a shot with " <letter>\\n\\n" after "Answer:"', () => {
    expect(formatExample(ROW0, true, false)).toBe(
      'Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer: B\n\n',
    );
    const shots: McqQuestion[] = [{ id: 'x/dev/0', question: 'Q?', choices: ['a', 'b', 'c', 'd'], answer: 'C' }];
    expect(fewShotPrefix('machine_learning', shots, 1, false)).toBe(
      'The following are multiple choice questions (with answers) about  machine learning.\n\nQ?\nA. a\nB. b\nC. c\nD. d\nAnswer: C\n\n',
    );
    expect(fewShotPrefix('machine_learning', shots, 0, false)).toBe(
      'The following are multiple choice questions (with answers) about  machine learning.\n\n',
    );
  });

  it('prints a None cell as pandas does ("nan") only when faithful', () => {
    expect(cellText('None', true)).toBe('nan');
    expect(cellText('', true)).toBe('nan');
    expect(cellText('None', false)).toBe('None');
    expect(cellText('Nonetheless', true)).toBe('Nonetheless');
  });
});

const MMLU = resolve(process.cwd(), '../shared/data/llm-kick/mmlu');
const describeShared = existsSync(MMLU) ? describe : describe.skip;
if (!existsSync(MMLU))
  console.warn('SKIPPED the MMLU prompt on the real files: ../shared/data/llm-kick/mmlu is not beside the repository');

describeShared('the real abstract_algebra files', () => {
  it('give the spec example ending after the fifth dev shot', async () => {
    const ctx = createRunContext({
      sessions: new OrtSessionFactory({ device: 'cpu' }),
      progressMode: 'silent',
      json: true,
    });
    const data = await new MmluDataset().open({ ref: 'mmlu', path: MMLU, limit: 1 }, ctx);
    expect(data.subjects).toHaveLength(57);
    expect(data.size).toBe(57);
    const algebra = data.subjects[0];
    expect(algebra.name).toBe('abstract_algebra');
    const prompt =
      fewShotPrefix(algebra.name, algebra.shots, 5, false) + formatExample(algebra.questions[0], false, false);
    expect(prompt.startsWith(header('abstract_algebra'))).toBe(true);
    // The spec's "…Answer: B" before the question does not match the data: the fifth dev row of
    // abstract_algebra_dev.csv ("Find the characteristic of the ring 2Z.", ..., A) answers A; B is the
    // test row's own gold letter. The question part is byte-equal.
    expect(
      prompt.endsWith(
        `Find the characteristic of the ring 2Z.\nA. 0\nB. 3\nC. 12\nD. 30\nAnswer: A\n\n${SPEC_ENDING.slice('…Answer: B\n\n'.length)}`,
      ),
    ).toBe(true);
    expect(algebra.questions[0]).toEqual(ROW0);
  });
});
