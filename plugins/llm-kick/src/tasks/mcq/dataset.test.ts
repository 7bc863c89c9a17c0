import { createRunContext, OrtSessionFactory } from '@mc-kit/core';
import { MmluDataset } from './dataset.js';
import { DEV_CSV, mmluDir, TEST_CSV } from './mcq.fixture.js';

const ctx = createRunContext({
  sessions: new OrtSessionFactory({ device: 'cpu' }),
  progressMode: 'silent',
  json: true,
});
const provider = new MmluDataset();
const open = (path: string, limit?: number) => provider.open({ ref: path, path, limit }, ctx);

describe('mmlu dataset provider', () => {
  it('reads the CSV layout: subjects sorted, rows in file order, quoted commas, None kept as written', async () => {
    const dir = mmluDir({
      dev: { anatomy: DEV_CSV, abstract_algebra: DEV_CSV },
      test: { anatomy: TEST_CSV, abstract_algebra: TEST_CSV },
    });
    expect(await provider.canOpen({ ref: dir, path: dir })).toBe(true);
    const data = await open(dir);
    expect(data.subjects.map((s) => s.name)).toEqual(['abstract_algebra', 'anatomy']);
    expect(data.size).toBe(8);
    const q = data.subjects[0].questions;
    expect(q.map((x) => x.answer)).toEqual(['B', 'A', 'B', 'D']);
    expect(q[1]).toEqual({
      id: 'abstract_algebra/test/1',
      question: 'Pick one.',
      choices: ['None', 'x', 'y', 'z'],
      answer: 'A',
    });
    expect(q[2].question).toBe('Commas, quoted?');
    expect(q[2].choices[2]).toBe('a, b');
    expect(data.subjects[0].shots.map((s) => s.answer)).toEqual(['A', 'B', 'C', 'D', 'A']);
  });

  it('keeps the first N questions of every subject with --limit', async () => {
    const dir = mmluDir({
      dev: { anatomy: DEV_CSV, abstract_algebra: DEV_CSV },
      test: { anatomy: TEST_CSV, abstract_algebra: TEST_CSV },
    });
    const data = await open(dir, 1);
    expect(data.subjects.map((s) => s.questions.map((q) => q.id))).toEqual([
      ['abstract_algebra/test/0'],
      ['anatomy/test/0'],
    ]);
  });

  it('reads a stray quote inside an unquoted field literally, as pandas does', async () => {
    const dir = mmluDir({ dev: { a: DEV_CSV }, test: { a: 'He said "hi",1,2,3,4,C\n' } });
    expect((await open(dir)).subjects[0].questions[0].question).toBe('He said "hi"');
  });

  it('accepts the original tarball layout (data/dev, data/test)', async () => {
    const dir = mmluDir({});
    const inner = mmluDir({ dev: { a: DEV_CSV }, test: { a: TEST_CSV } });
    const { renameSync } = await import('node:fs');
    renameSync(inner, `${dir}/data`);
    expect((await open(dir)).size).toBe(4);
  });

  it('names the file and line of a malformed row', async () => {
    const dir = mmluDir({ dev: { a: DEV_CSV }, test: { a: 'ok?,1,2,3,4,A\nbad,1,2,3,4,5,A\n' } });
    await expect(open(dir)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: 'test/a_test.csv:2: 7 fields, expected 6 (question, A, B, C, D, answer)',
    });
    const unclosed = mmluDir({ dev: { a: DEV_CSV }, test: { a: 'ok?,1,2,3,4,A\n"open,1,2,3,4,A\n' } });
    await expect(open(unclosed)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: expect.stringMatching(/^test\/a_test\.csv:\d+: malformed CSV/),
    });
    const letter = mmluDir({ dev: { a: DEV_CSV }, test: { a: 'ok?,1,2,3,4,E\n' } });
    await expect(open(letter)).rejects.toMatchObject({ message: 'test/a_test.csv:1: answer "E" is not A, B, C or D' });
  });

  it('refuses a folder missing a split, in one line', async () => {
    const noDev = mmluDir({ test: { a: TEST_CSV } });
    await expect(open(noDev)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${noDev}: no dev split (dev/<subject>_dev.csv)`,
    });
    const noTest = mmluDir({ dev: { a: DEV_CSV } });
    await expect(open(noTest)).rejects.toMatchObject({ message: `${noTest}: no test split (test/<subject>_test.csv)` });
    const noSubjectDev = mmluDir({ dev: { a: DEV_CSV }, test: { a: TEST_CSV, b: TEST_CSV } });
    await expect(open(noSubjectDev)).rejects.toMatchObject({
      message: `${noSubjectDev}: subject b has no dev/b_dev.csv`,
    });
  });
});
