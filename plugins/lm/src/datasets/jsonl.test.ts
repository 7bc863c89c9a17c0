import { join } from 'node:path';
import { sha256Files } from '@mc-kit/core';
import { JsonlDataset } from './jsonl.js';
import { SHARED, hasShared, jsonl, openText, put, tempDir } from './helpers.fixture.js';

const provider = new JsonlDataset();

function codePoints(records: readonly string[]): number {
  let n = 0;
  for (const s of records) for (const _ of s) n++;
  return n;
}

describe('jsonl', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('reads field content of every object, exactly as stored, empty records kept', async () => {
    const texts = ['  leading and trailing  \n', '', 'crlf\r\nline', 'emoji 😀 and café', '\t'];
    const path = put(dir, 'corpus.jsonl', jsonl(texts.map((content, i) => ({ content, subset: 'x', meta: { i } }))));
    const ds = await openText(provider, path);
    expect(ds).toMatchObject({ kind: 'text', provider: 'jsonl', ref: path, size: 5, join: '\n\n' });
    expect(ds.subsets).toEqual([{ name: 'corpus', records: texts }]);
    expect(ds.digest).toBe(await sha256Files([{ name: 'corpus.jsonl', path }]));
  });

  it('skips blank lines, tolerates CRLF line ends and a BOM, and keeps file order', async () => {
    const body = `\ufeff{"content":"a"}\r\n\n   \n{"content":"b"}\r\n{"content":"c"}`;
    expect((await openText(provider, put(dir, 'x.jsonl', body))).subsets[0].records).toEqual(['a', 'b', 'c']);
  });

  it('reads another field with --field', async () => {
    const path = put(dir, 'x.jsonl', jsonl([{ text: 'one', content: 'no' }, { text: 'two' }]));
    expect((await openText(provider, path, { field: 'text' })).subsets[0].records).toEqual(['one', 'two']);
  });

  it('keeps the first N records with a limit', async () => {
    const path = put(dir, 'x.jsonl', jsonl(['a', 'b', 'c'].map((content) => ({ content }))));
    const ds = await openText(provider, path, { limit: 2 });
    expect([ds.size, ds.subsets[0].records]).toEqual([2, ['a', 'b']]);
    expect((await openText(provider, path, { limit: 10 })).size).toBe(3);
    await expect(openText(provider, path, { limit: 0 })).rejects.toMatchObject({ code: 'E_BAD_PARAM' });
  });

  it('an empty file, or one with blank lines only, is an empty dataset', async () => {
    expect((await openText(provider, put(dir, 'empty.jsonl', ''))).size).toBe(0);
    expect((await openText(provider, put(dir, 'blank.jsonl', '\n\n  \n'))).size).toBe(0);
  });

  it('names file and line of a line that is not JSON', async () => {
    const path = put(dir, 'x.jsonl', `${jsonl([{ content: 'a' }])}\n{"content": "b"\n`);
    await expect(openText(provider, path)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${path}:3: not valid JSON`,
    });
    await expect(openText(provider, put(dir, 'arr.jsonl', '["a"]\n'))).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${join(dir, 'arr.jsonl')}:1: an array, not a JSON object`,
    });
  });

  it('lists the fields the records have when the field is in none of them', async () => {
    const path = put(
      dir,
      'x.jsonl',
      jsonl([
        { text: 'a', meta: {} },
        { text: 'b', id: 2 },
      ]),
    );
    const err = await openText(provider, path).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'E_BAD_DATASET',
      message: `field 'content' not found in ${path}; records have: text, meta, id`,
    });
    expect((err as { hint: string }).hint).toMatch(/--field/);
  });

  it('names the first line that lacks the field when only some do', async () => {
    const path = put(dir, 'x.jsonl', jsonl([{ content: 'a' }, { content: 'b' }, { text: 'c' }, { text: 'd' }]));
    await expect(openText(provider, path)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${path}:3: no field 'content' (2 of 4 records lack it)`,
    });
  });

  it('refuses a field that is not a string', async () => {
    const path = put(dir, 'x.jsonl', jsonl([{ content: 'a' }, { content: 7 }]));
    await expect(openText(provider, path)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${path}:2: field 'content' is a number, not a string`,
    });
    const nul = put(dir, 'n.jsonl', jsonl([{ content: null }]));
    await expect(openText(provider, nul)).rejects.toMatchObject({
      message: `${nul}:1: field 'content' is null, not a string`,
    });
  });

  it('refuses bytes that are not UTF-8', async () => {
    const path = put(
      dir,
      'x.jsonl',
      Buffer.concat([Buffer.from('{"content":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]),
    );
    await expect(openText(provider, path)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${path}:1: not valid UTF-8`,
    });
  });

  it('reads the stdlib-text corpus: 93 records, 301,617 code points', async () => {
    const path = join(SHARED, 'data', 'stdlib-text', 'valid.jsonl');
    if (!hasShared('data/stdlib-text/valid.jsonl')) {
      console.warn(`skipped: ${path} is absent (the shared assets folder is not beside this checkout)`);
      return;
    }
    const ds = await openText(provider, path);
    expect(ds.subsets.map((s) => s.name)).toEqual(['valid']);
    expect(ds.size).toBe(93);
    // figures from shared/data/stdlib-text/README.md ("93 records, 301,617 characters (Unicode code points)")
    expect(codePoints(ds.subsets[0].records)).toBe(301_617);
    expect(ds.subsets[0].records.filter((r) => r === '')).toHaveLength(0);
    expect(ds.digest).toMatch(/^[0-9a-f]{64}$/);
  });
});
