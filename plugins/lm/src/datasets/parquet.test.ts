import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sha256Files } from '@mc-kit/core';
import { ParquetDataset } from './parquet.js';
import { FIXTURES, openText, put, refOf, tempDir } from './helpers.fixture.js';

const provider = new ParquetDataset();
/** rows of fixtures/texts.*.parquet (fixtures/make-parquet.mjs) */
const TEXTS = [
  '',
  ' = Valkyria Chronicles = \n',
  '',
  ' Senjō no Valkyria 3 😀 café \n',
  '  two  spaces\r\n',
  '',
  ' tail without newline',
];

describe('parquet', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  function fixture(name: string, as = name): string {
    const path = join(dir, as);
    copyFileSync(join(FIXTURES, name), path);
    return path;
  }

  it.each(['snappy', 'gzip', 'brotli'])(
    'reads column text of a %s-compressed file across row groups, as stored',
    async (codec) => {
      const path = fixture(`texts.${codec}.parquet`);
      expect(await provider.canOpen(refOf(path))).toBe(true);
      const ds = await openText(provider, path);
      expect(ds).toMatchObject({ kind: 'text', provider: 'parquet', size: 7, join: '\n\n' });
      expect(ds.subsets).toEqual([{ name: `texts.${codec}`, records: TEXTS }]);
      expect(ds.digest).toBe(await sha256Files([{ name: `texts.${codec}.parquet`, path }]));
    },
  );

  it('keeps the first N rows with a limit, across row groups', async () => {
    const ds = await openText(provider, fixture('texts.snappy.parquet'), { limit: 3 });
    expect([ds.size, ds.subsets[0].records]).toEqual([3, TEXTS.slice(0, 3)]);
  });

  it("prefers column 'content' to 'text', and reads another with --field", async () => {
    const path = fixture('columns.parquet');
    expect((await openText(provider, path)).subsets[0].records).toEqual(['c0', '', 'c2']);
    expect((await openText(provider, path, { field: 'text' })).subsets[0].records).toEqual(['t0', 't1', 't2']);
  });

  it('lists the columns when the column is unknown', async () => {
    const path = fixture('columns.parquet');
    const err = await openText(provider, path, { field: 'body' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${path}: no column 'body'; the file has: text, content, n, maybe`,
    });
    expect((err as { hint: string }).hint).toMatch(/--field/);
    const body = fixture('body-only.parquet');
    await expect(openText(provider, body)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${body}: none of the columns 'content', 'text'; the file has: body`,
    });
  });

  it('refuses a column that is not text, or holds a null', async () => {
    const path = fixture('columns.parquet');
    await expect(openText(provider, path, { field: 'n' })).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${path}: row 0: column 'n' is a number, not a string`,
    });
    await expect(openText(provider, path, { field: 'maybe' })).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${path}: row 1: column 'maybe' is null, not a string`,
    });
  });

  it('says a file that is not parquet is not, in one line', async () => {
    for (const [name, bytes] of [
      ['random.parquet', randomBytes(4096)],
      ['empty.parquet', new Uint8Array(0)],
      ['magic-only.parquet', Buffer.from('PAR1PAR1')],
    ] as const) {
      const path = put(dir, name, bytes);
      const err = await openText(provider, path).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'E_BAD_DATASET',
        message: expect.stringMatching(
          new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a readable parquet file \\(.*\\)$`),
        ),
      });
      expect((err as Error).message).not.toMatch(/\n/);
    }
  });

  it('says a truncated file cannot be read, not a stack', async () => {
    const whole = readFileSync(join(FIXTURES, 'texts.snappy.parquet'));
    // keep the footer, damage the pages: metadata parses, the column does not
    const damaged = Buffer.concat([
      Buffer.from('PAR1'),
      Buffer.alloc(whole.length - 12 - whole.readUInt32LE(whole.length - 8), 0xab),
      whole.subarray(whole.length - 8 - whole.readUInt32LE(whole.length - 8)),
    ]);
    const path = put(dir, 'damaged.parquet', damaged);
    await expect(openText(provider, path)).rejects.toMatchObject({ code: 'E_BAD_DATASET' });
  });
});
