import { existsSync, readFileSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Files } from '@mc-kit/core';
import type { ImageClassBatch, ImageClassDataset } from '@mc-kit/core';
import { tempDir, testContext, writeU8Set } from '../test-helpers.js';
import { hwcToChw } from './layout.js';
import { U8ImagesDataset, combineFileDigests } from './u8-images.js';

const provider = new U8ImagesDataset();
const ctx = testContext();

/** 5 images of 1x2x3: image i holds pixels 10*i + (0..5); labels 0,1,2,0,1. */
function tinySet(dir: string, meta?: Record<string, unknown>): void {
  const images = Uint8Array.from({ length: 5 * 6 }, (_, j) => 10 * Math.floor(j / 6) + (j % 6));
  writeU8Set(dir, {
    images,
    labels: Uint8Array.from([0, 1, 2, 0, 1]),
    height: 2,
    width: 3,
    labelNames: ['a', 'b', 'c'],
    meta,
  });
}

async function open(dir: string, limit?: number): Promise<ImageClassDataset> {
  return provider.open({ ref: dir, path: dir, limit }, ctx);
}

async function collect(ds: ImageClassDataset, batchSize: number): Promise<ImageClassBatch[]> {
  const out: ImageClassBatch[] = [];
  for await (const b of ds.batches(batchSize)) out.push(b);
  return out;
}

describe('u8-images', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('recognises a folder with an image-class meta.json, and nothing else', async () => {
    expect(await provider.canOpen({ ref: dir, path: dir })).toBe(false);
    tinySet(dir);
    expect(await provider.canOpen({ ref: dir, path: dir })).toBe(true);
    expect(await provider.canOpen({ ref: 'x', path: join(dir, 'meta.json') })).toBe(true);
    expect(await provider.canOpen({ ref: 'hub:x' })).toBe(false);
    tinySet(dir, { kind: 'image-mask' });
    expect(await provider.canOpen({ ref: dir, path: dir })).toBe(false);
  });

  it('streams batches in order, the last one partial, with labels and offsets', async () => {
    tinySet(dir);
    const ds = await open(dir);
    expect(ds).toMatchObject({
      kind: 'image-class',
      provider: 'u8-images',
      size: 5,
      channels: 1,
      height: 2,
      width: 3,
      labels: ['a', 'b', 'c'],
    });
    const batches = await collect(ds, 2);
    expect(batches.map((b) => [b.offset, b.count, Array.from(b.labels)])).toEqual([
      [0, 2, [0, 1]],
      [2, 2, [2, 0]],
      [4, 1, [1]],
    ]);
    expect(Array.from(batches[1].pixels)).toEqual([20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 34, 35]);
    expect(Array.from(batches[2].pixels)).toEqual([40, 41, 42, 43, 44, 45]);
    // a second pass reads the same data again
    expect((await collect(ds, 5))[0].pixels).toEqual(
      Uint8Array.from([...batches.flatMap((b) => Array.from(b.pixels))]),
    );
  });

  it('keeps the first N samples with a limit', async () => {
    tinySet(dir);
    const ds = await open(dir, 3);
    expect(ds.size).toBe(3);
    const batches = await collect(ds, 2);
    expect(batches.map((b) => b.count)).toEqual([2, 1]);
    expect(Array.from(batches[1].labels)).toEqual([2]);
    expect((await open(dir, 99)).size).toBe(5);
    await expect(open(dir, 0)).rejects.toMatchObject({ code: 'E_BAD_PARAM' });
  });

  it('digests the files like sha256Files, and the digest moves with the data', async () => {
    tinySet(dir);
    const ds = await open(dir);
    expect(ds.digest).toBe(
      await sha256Files([
        { name: 'images.u8', path: join(dir, 'images.u8') },
        { name: 'labels.u8', path: join(dir, 'labels.u8') },
      ]),
    );
    expect(
      combineFileDigests([
        { name: 'b', sha256: '1' },
        { name: 'a', sha256: '2' },
      ]),
    ).toBe(
      combineFileDigests([
        { name: 'a', sha256: '2' },
        { name: 'b', sha256: '1' },
      ]),
    );
    writeU8Set(dir, { images: new Uint8Array(30), labels: Uint8Array.from([0, 1, 2, 0, 1]), height: 2, width: 3 });
    expect((await open(dir)).digest).not.toBe(ds.digest);
  });

  it('converts HWC files to CHW batches when meta.json says layout HWC', async () => {
    // one 2x2 RGB image stored pixel by pixel: (r,g,b) = (1,2,3) (4,5,6) (7,8,9) (10,11,12)
    const hwc = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    writeU8Set(dir, { images: hwc, labels: Uint8Array.from([0]), height: 2, width: 2, channels: 3, layout: 'HWC' });
    const [b] = await collect(await open(dir), 8);
    expect(Array.from(b.pixels)).toEqual([1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12]);
    expect(Array.from(hwcToChw(hwc, 1, 3, 2, 2))).toEqual(Array.from(b.pixels));
    // without a layout, C>1 files are taken as CHW as they are
    writeU8Set(dir, { images: hwc, labels: Uint8Array.from([0]), height: 2, width: 2, channels: 3 });
    expect(Array.from((await collect(await open(dir), 8))[0].pixels)).toEqual(Array.from(hwc));
  });

  it('names classes 0..max when meta.json has no labels', async () => {
    writeU8Set(dir, { images: new Uint8Array(4), labels: Uint8Array.from([3, 1, 0, 3]), height: 1, width: 1 });
    expect((await open(dir)).labels).toEqual(['0', '1', '2', '3']);
  });

  describe('bad folders end in one E_BAD_DATASET line with a hint', () => {
    const cases: [string, () => void][] = [
      [
        'missing meta.json',
        () => {
          tinySet(dir);
          unlinkSync(join(dir, 'meta.json'));
        },
      ],
      [
        'meta.json not JSON',
        () => {
          tinySet(dir);
          writeFileSync(join(dir, 'meta.json'), '{ nope');
        },
      ],
      ['wrong kind', () => tinySet(dir, { kind: 'text' })],
      [
        'truncated images file',
        () => {
          tinySet(dir);
          truncateSync(join(dir, 'images.u8'), 29);
        },
      ],
      [
        'missing labels file',
        () => {
          tinySet(dir);
          unlinkSync(join(dir, 'labels.u8'));
        },
      ],
      [
        'sha256 mismatch',
        () => {
          tinySet(dir);
          writeFileSync(join(dir, 'images.u8'), Buffer.alloc(30, 7));
        },
      ],
      ['empty set', () => tinySet(dir, { count: 0 })],
      ['dims that disagree with the shape', () => tinySet(dir, { height: 3, width: 2 })],
      [
        'non-uint8 dtype',
        () =>
          tinySet(dir, { files: { images: { path: 'images.u8', dtype: 'float32' }, labels: { path: 'labels.u8' } } }),
      ],
      ['label outside the named classes', () => tinySet(dir, { labels: ['a', 'b'] })],
      ['unknown layout', () => tinySet(dir, { layout: 'CWH' })],
      [
        'byte count that disagrees with the dims',
        () => tinySet(dir, { files: { images: { path: 'images.u8', bytes: 31 }, labels: { path: 'labels.u8' } } }),
      ],
    ];
    it.each(cases)('%s', async (_name, make) => {
      make();
      const err = await open(dir).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string; hint?: string; exitCode: number },
      );
      expect(err).toMatchObject({ code: 'E_BAD_DATASET', exitCode: 2 });
      expect(err!.message).not.toContain('\n');
      expect(err!.hint).toBeTruthy();
    });

    it('says which file changed on a sha256 mismatch', async () => {
      tinySet(dir);
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
      meta.files.labels.sha256 = '0'.repeat(64);
      writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
      await expect(open(dir)).rejects.toThrow(/labels file labels\.u8 has sha256/);
      expect(existsSync(join(dir, 'labels.u8'))).toBe(true);
    });
  });

  describe('what it says when eval finds no provider (issue 17: "no dataset provider recognises" only)', () => {
    it.each([
      [
        'meta.json that is not JSON',
        () => writeFileSync(join(dir, 'meta.json'), '{ nope'),
        /meta\.json is not valid JSON/,
      ],
      [
        'meta.json that is an array',
        () => writeFileSync(join(dir, 'meta.json'), '[1]'),
        /meta\.json must be a JSON object \(got an array\)/,
      ],
      ['meta.json with no kind', () => tinySet(dir, { kind: undefined }), /meta\.json has no "kind"/],
      [
        'meta.json of this kind without its files',
        () => tinySet(dir, { files: undefined }),
        /meta\.json has no "files"/,
      ],
      [
        '.u8 files and no meta.json',
        () => {
          tinySet(dir);
          unlinkSync(join(dir, 'meta.json'));
        },
        /holds images\.u8, labels\.u8 but no meta\.json/,
      ],
    ] as const)('%s', async (_name, make, message) => {
      make();
      expect(await provider.canOpen({ ref: dir, path: dir })).toBe(false);
      expect(await provider.diagnose({ ref: dir, path: dir })).toMatch(message);
    });

    it('says nothing about a folder of another kind, or a good set', async () => {
      tinySet(dir);
      expect(await provider.diagnose({ ref: dir, path: dir })).toBeUndefined();
      tinySet(dir, { kind: 'image-mask' });
      expect(await provider.diagnose({ ref: dir, path: dir })).toBeUndefined();
    });
  });

  it('refuses a meta.json file name that leads out of the folder (issue 17)', async () => {
    const outside = tempDir('mc-outside-');
    try {
      tinySet(dir);
      symlinkSync(join(dir, 'labels.u8'), join(outside.dir, 'elsewhere.u8'));
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
      meta.files.labels.path = '../' + outside.dir.split('/').pop() + '/elsewhere.u8';
      writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
      await expect(open(dir)).rejects.toMatchObject({
        code: 'E_BAD_DATASET',
        message: expect.stringContaining('points outside its folder'),
      });
      unlinkSync(join(outside.dir, 'elsewhere.u8'));
      symlinkSync(join(outside.dir, 'x.u8'), join(dir, 'link.u8'));
      writeFileSync(join(outside.dir, 'x.u8'), readFileSync(join(dir, 'labels.u8')));
      meta.files.labels.path = 'link.u8';
      writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
      await expect(open(dir)).rejects.toMatchObject({
        code: 'E_BAD_DATASET',
        message: expect.stringContaining('leads outside its folder'),
      });
    } finally {
      outside.cleanup();
    }
  });
});
