import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Files } from '@mc-kit/core';
import { WIKITEXT2_TEST, WikiText2Dataset, wikitextRows } from './wikitext.js';
import { FIXTURES, openText, put, refOf, tempDir, testContext } from './helpers.fixture.js';

const provider = new WikiText2Dataset();

/**
 * A synthetic wiki.test.raw (the real one is not shipped) with every case the split rule meets, and the
 * rows the HF builder yields for it. Golden made with Python 3.11 running the builder's loop:
 *   open(path, 'w', encoding='utf-8', newline='').write(RAW)
 *   [row if row.strip() else "" for row in open(path, encoding="utf-8")]
 */
const RAW =
  ' \n = Robert Boulter = \n \n Robert Boulter is an English actor . \n\n \t \n = = Career = = \r\n\u3000\n\x1c\n old mac line\r next\r\r\n tail without newline';
const ROWS = [
  '',
  ' = Robert Boulter = \n',
  '',
  ' Robert Boulter is an English actor . \n',
  '',
  '',
  ' = = Career = = \n',
  '',
  '',
  ' old mac line\n',
  ' next\n',
  '',
  ' tail without newline',
];
const JOINED =
  '\n\n = Robert Boulter = \n\n\n\n\n Robert Boulter is an English actor . \n\n\n\n\n\n\n = = Career = = \n\n\n\n\n\n\n old mac line\n\n\n next\n\n\n\n\n tail without newline';
/** rows of fixtures/texts.*.parquet (fixtures/make-parquet.mjs) */
const PARQUET_ROWS = [
  '',
  ' = Valkyria Chronicles = \n',
  '',
  ' Senjō no Valkyria 3 😀 café \n',
  '  two  spaces\r\n',
  '',
  ' tail without newline',
];

describe('wikitext-2', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('splits a raw file into rows exactly as the HF wikitext builder does', () => {
    expect(wikitextRows(RAW)).toEqual(ROWS);
    expect(wikitextRows(RAW).join('\n\n')).toBe(JOINED);
    expect(wikitextRows('')).toEqual([]);
    expect(wikitextRows('\n')).toEqual(['']);
  });

  it('reads wiki.test.raw, or a folder holding it, as one subset joined by "\\n\\n"', async () => {
    const path = put(dir, 'wikitext-2-raw/wiki.test.raw', RAW);
    put(dir, 'wikitext-2-raw/wiki.train.raw', 'not read');
    for (const ref of [path, join(dir, 'wikitext-2-raw')]) {
      expect(await provider.canOpen(refOf(ref))).toBe(true);
      const ds = await openText(provider, ref);
      expect(ds).toMatchObject({ kind: 'text', provider: 'wikitext-2', size: ROWS.length, join: '\n\n' });
      expect(ds.subsets).toEqual([{ name: 'wikitext-2', records: ROWS }]);
      expect(ds.subsets[0].records.join(ds.join)).toBe(JOINED);
      expect(ds.digest).toBe(await sha256Files([{ name: 'wiki.test.raw', path }]));
    }
    expect((await openText(provider, path, { limit: 3 })).subsets[0].records).toEqual(ROWS.slice(0, 3));
  });

  it('warns when the file does not look like the real test split, and not when it does', async () => {
    const ctx = testContext();
    await openText(provider, put(dir, 'a/wiki.test.raw', ' \n = Other = \n'), {}, ctx);
    expect(ctx.warnings).toEqual([
      expect.stringContaining('2 rows, first " = Other = \\n"; the WikiText-2 raw test split has 4358'),
    ]);
    const lookalike = ` \n${WIKITEXT2_TEST.firstRow}${' \n'.repeat(WIKITEXT2_TEST.rows - 2)}`;
    const quiet = testContext();
    expect((await openText(provider, put(dir, 'b/wiki.test.raw', lookalike), {}, quiet)).size).toBe(4358);
    expect(quiet.warnings).toEqual([]);
  });

  it('reads the HF parquet: a file in a wikitext folder, the config folder, or the dataset root', async () => {
    const config = join(dir, 'wikitext', 'wikitext-2-raw-v1');
    mkdirSync(config, { recursive: true });
    const shard = join(config, 'test-00000-of-00001.parquet');
    copyFileSync(join(FIXTURES, 'texts.snappy.parquet'), shard);
    copyFileSync(join(FIXTURES, 'columns.parquet'), join(config, 'train-00000-of-00001.parquet'));
    for (const ref of [shard, config, join(dir, 'wikitext')]) {
      expect(await provider.canOpen(refOf(ref))).toBe(true);
      const ds = await openText(provider, ref);
      expect(ds.subsets).toEqual([{ name: 'wikitext-2', records: PARQUET_ROWS }]);
    }
    expect((await openText(provider, join(dir, 'wikitext'))).digest).toBe(
      await sha256Files([{ name: 'wikitext-2-raw-v1/test-00000-of-00001.parquet', path: shard }]),
    );
  });

  it('needs a text column in the parquet, and a readable file', async () => {
    const folder = join(dir, 'wikitext-2-raw-v1');
    mkdirSync(folder);
    const noText = join(folder, 'test-00000-of-00001.parquet');
    copyFileSync(join(FIXTURES, 'body-only.parquet'), noText);
    await expect(openText(provider, noText)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${noText}: no column 'text'; the file has: body`,
    });
    const junk = put(folder, 'test-00001-of-00002.parquet', 'PAR1 not really');
    await expect(openText(provider, junk)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: expect.stringMatching(/not a readable parquet file/),
    });
  });

  it('an empty wiki.test.raw is an empty dataset; bytes that are not UTF-8 are refused', async () => {
    expect((await openText(provider, put(dir, 'e/wiki.test.raw', ''))).size).toBe(0);
    const bad = put(dir, 'b/wiki.test.raw', Buffer.from([0x20, 0xff, 0x0a]));
    await expect(openText(provider, bad)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${bad}: not valid UTF-8`,
    });
  });
});
