import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Files } from '@mc-kit/core';
import { TextFileDataset } from './text-file.js';
import { openText, put, refOf, tempDir } from './helpers.fixture.js';

const provider = new TextFileDataset();

describe('text-file', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('reads a .txt file as one record, byte for byte', async () => {
    const text = '\ufeffline one\r\n\n  indented 😀\n\n\n';
    const path = put(dir, 'story.txt', text);
    const ds = await openText(provider, path);
    expect(ds).toMatchObject({ kind: 'text', provider: 'text-file', size: 1, join: '\n\n' });
    expect(ds.subsets).toEqual([{ name: 'story', records: [text] }]);
    expect(ds.digest).toBe(await sha256Files([{ name: 'story.txt', path }]));
  });

  it('reads a folder of .txt files as one record per file, sorted by name, other files ignored', async () => {
    const folder = join(dir, 'docs');
    mkdirSync(folder);
    put(folder, 'b.txt', 'bee');
    put(folder, 'a.txt', 'ay');
    put(folder, 'B.txt', 'capital');
    put(folder, 'notes.md', 'ignored');
    put(folder, 'sub/c.txt', 'not read');
    const ds = await openText(provider, folder);
    expect(ds.subsets).toEqual([{ name: 'docs', records: ['capital', 'ay', 'bee'] }]);
    expect(ds.digest).toBe(
      await sha256Files(['B.txt', 'a.txt', 'b.txt'].map((name) => ({ name, path: join(folder, name) }))),
    );
    expect((await openText(provider, folder, { limit: 2 })).subsets[0].records).toEqual(['capital', 'ay']);
  });

  it('follows symbolic links in a folder (as in a Hugging Face cache snapshot)', async () => {
    const blob = put(dir, 'blobs/abc', 'linked text');
    const folder = join(dir, 'snapshot');
    mkdirSync(folder);
    symlinkSync(blob, join(folder, 'doc.txt'));
    expect(await provider.canOpen(refOf(folder))).toBe(true);
    expect((await openText(provider, folder)).subsets[0].records).toEqual(['linked text']);
  });

  it('an empty file holds no record, so the dataset is empty', async () => {
    expect((await openText(provider, put(dir, 'empty.txt', ''))).size).toBe(0);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const path = put(dir, 'latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    await expect(openText(provider, path)).rejects.toMatchObject({
      code: 'E_BAD_DATASET',
      message: `${path}: not valid UTF-8`,
    });
  });

  it('says a missing path is missing', async () => {
    await expect(openText(provider, join(dir, 'gone.txt'))).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
  });
});
