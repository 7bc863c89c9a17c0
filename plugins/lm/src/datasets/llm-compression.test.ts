import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Files } from '@mc-kit/core';
import { LlmCompressionDataset } from './llm-compression.js';
import { jsonl, openText, put, refOf, tempDir, testContext } from './helpers.fixture.js';

const provider = new LlmCompressionDataset();

/** A folder with the given subset files, each record {content, subset, meta} as in the HF dataset. */
function layout(dir: string, files: Record<string, string[]>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, texts] of Object.entries(files))
    put(dir, name, jsonl(texts.map((content, i) => ({ content, subset: name, meta: { i } }))));
  return dir;
}

describe('llm-compression', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('reads python, cc, arxiv_math in that order, records as stored', async () => {
    const root = layout(join(dir, 'llm-compression'), {
      'arxiv_math.jsonl': ['$x^2$\n', 'Theorem 1.'],
      'cc.jsonl': ['web page\n\n', ''],
      'python.jsonl': ['def f():\n    return 1\n'],
    });
    expect(await provider.canOpen(refOf(root))).toBe(true);
    const ctx = testContext();
    const ds = await openText(provider, root, {}, ctx);
    expect(ds).toMatchObject({ kind: 'text', provider: 'llm-compression', size: 5, join: '\n\n' });
    expect(ds.subsets).toEqual([
      { name: 'python', records: ['def f():\n    return 1\n'] },
      { name: 'cc', records: ['web page\n\n', ''] },
      { name: 'arxiv_math', records: ['$x^2$\n', 'Theorem 1.'] },
    ]);
    expect(ds.digest).toBe(
      await sha256Files(
        ['python.jsonl', 'cc.jsonl', 'arxiv_math.jsonl'].map((name) => ({ name, path: join(root, name) })),
      ),
    );
    expect(ctx.warnings).toEqual([]);
  });

  it("reads OpenCompass's commoncraw.jsonl as subset cc", async () => {
    const root = layout(dir, { 'commoncraw.jsonl': ['c'], 'python.jsonl': ['p'], 'arxiv_math.jsonl': ['a'] });
    expect((await openText(provider, root)).subsets.map((s) => [s.name, s.records])).toEqual([
      ['python', ['p']],
      ['cc', ['c']],
      ['arxiv_math', ['a']],
    ]);
  });

  it('reads the subsets present and warns about the missing ones', async () => {
    const root = layout(dir, { 'python.jsonl': ['p'] });
    const ctx = testContext();
    const ds = await openText(provider, root, {}, ctx);
    expect(ds.subsets.map((s) => s.name)).toEqual(['python']);
    expect(ctx.warnings).toEqual([
      `${root}: reading python only; missing cc.jsonl or commoncraw.jsonl, arxiv_math.jsonl`,
    ]);
  });

  it('keeps the first N records of each subset with a limit', async () => {
    const root = layout(dir, {
      'python.jsonl': ['p1', 'p2', 'p3'],
      'cc.jsonl': ['c1'],
      'arxiv_math.jsonl': ['a1', 'a2'],
    });
    const ds = await openText(provider, root, { limit: 2 });
    expect(ds.subsets.map((s) => s.records)).toEqual([['p1', 'p2'], ['c1'], ['a1', 'a2']]);
    expect(ds.size).toBe(5);
  });

  it('refuses a folder with both cc names, and names the file of a bad record', async () => {
    const both = layout(join(dir, 'both'), { 'cc.jsonl': ['c'], 'commoncraw.jsonl': ['c'] });
    await expect(openText(provider, both)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${both}: both cc.jsonl and commoncraw.jsonl are present for subset cc`,
    });
    const broken = layout(join(dir, 'broken'), { 'python.jsonl': ['p'] });
    put(broken, 'cc.jsonl', '{"content": "ok"}\n{"text": "no content"}\n');
    await expect(openText(provider, broken)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${join(broken, 'cc.jsonl')}:2: no field 'content' (1 of 2 records lack it)`,
    });
  });

  it('does not claim folders without its files, nor single files', async () => {
    expect(await provider.canOpen(refOf(dir))).toBe(false);
    put(dir, 'other.jsonl', jsonl([{ content: 'x' }]));
    expect(await provider.canOpen(refOf(dir))).toBe(false);
    expect(await provider.canOpen(refOf(put(dir, 'python.jsonl', jsonl([{ content: 'x' }]))))).toBe(false);
    await expect(openText(provider, join(dir, 'other.jsonl'))).rejects.toMatchObject({ code: 'E_BAD_DATASET' });
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(openText(provider, empty)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${empty}: none of the llm-compression files is there (missing python.jsonl, cc.jsonl or commoncraw.jsonl, arxiv_math.jsonl)`,
    });
  });
});
