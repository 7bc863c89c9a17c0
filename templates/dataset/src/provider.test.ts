/** The provider on real temp files. REPLACE the files with your format's; keep the shape of the test. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunContext, sha256File, type ImageClassBatch, type SessionFactory } from '@mc-kit/core';
import { CsvImagesDataset } from './provider.js';

const ctx = createRunContext({ json: true, sessions: {} as SessionFactory }); // a provider runs no model
const provider = new CsvImagesDataset();

function csvFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'csv-images-')), 'digits.csv');
  writeFileSync(path, text);
  return path;
}

describe('csv-images', () => {
  it('recognises .csv files only', async () => {
    const path = csvFile('1,2\n');
    expect(await provider.canOpen({ ref: path, path })).toBe(true);
    expect(await provider.canOpen({ ref: 'x.txt', path: join(tmpdir(), 'x.txt') })).toBe(false);
    expect(await provider.canOpen({ ref: 'hf:a/b' })).toBe(false);
  });

  it('opens an image-class dataset and streams it in batches', async () => {
    const path = csvFile('label,1x1,1x2,2x1,2x2\n2,0,255,16,1\n0,9,8,7,6\n1,1,1,1,1\n');
    const ds = await provider.open({ ref: 'digits.csv', path }, ctx);
    expect({
      kind: ds.kind,
      size: ds.size,
      height: ds.height,
      width: ds.width,
      channels: ds.channels,
      labels: ds.labels,
    }).toEqual({
      kind: 'image-class',
      size: 3,
      height: 2,
      width: 2,
      channels: 1,
      labels: ['0', '1', '2'],
    });
    expect(ds.digest).toBe(await sha256File(path));
    const batches: ImageClassBatch[] = [];
    for await (const b of ds.batches(2)) batches.push(b);
    expect(batches.map((b) => [b.offset, b.count, [...b.labels], [...b.pixels]])).toEqual([
      [0, 2, [2, 0], [0, 255, 16, 1, 9, 8, 7, 6]],
      [2, 1, [1], [1, 1, 1, 1]],
    ]);
  });

  it('honours --limit', async () => {
    const path = csvFile('1,5\n2,6\n3,7\n');
    expect((await provider.open({ ref: 'd.csv', path, limit: 2 }, ctx)).size).toBe(2);
  });
});
