import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointKey, createCheckpointStore, openCheckpoint } from './checkpoint.js';

let root: string;
beforeEach(async () => {
  root = join(await fs.mkdtemp(join(tmpdir(), 'mc-checkpoint-')), '.cache');
});

const KEY = { model: 'a'.repeat(64), metric: 'bpc', params: { 'block-size': 64, stride: 32 }, seed: 0 };

describe('checkpoints', () => {
  it('without a store (no --resume): no records, and append keeps nothing', async () => {
    const cp = await openCheckpoint({}, 'valid');
    expect(cp.records).toEqual([]);
    await cp.append({ next: 1 });
    expect((await openCheckpoint({}, 'valid')).records).toEqual([]);
  });

  it('gives a later store of the same key the records in order, doubles exact; parts apart', async () => {
    const sums = [0.1 + 0.2, 1 / 3, 2 ** -1074, 123456.789e10];
    const first = await createCheckpointStore(root, KEY);
    const a = await first.open('valid');
    const b = await first.open('python/x y');
    for (const [i, s] of sums.entries()) await a.append({ next: i + 1, totalNats: s });
    await b.append('other part');
    await first.close(false);
    const second = await createCheckpointStore(root, { ...KEY, params: { stride: 32, 'block-size': 64 } }); // key order does not matter
    expect(second.dir).toBe(first.dir);
    const again = await second.open('valid');
    expect(again.records).toEqual(sums.map((s, i) => ({ next: i + 1, totalNats: s })));
    expect((again.records as { totalNats: number }[]).map((r) => r.totalNats)).toEqual(sums); // bit for bit (toEqual uses Object.is)
    expect((await second.open('python/x y')).records).toEqual(['other part']);
    expect(second.resumed()).toBe(5);
    await second.close(false);
  });

  it('drops a torn last line and cuts it off, so the next append starts a line of its own', async () => {
    const store = await createCheckpointStore(root, KEY);
    await (await store.open('valid')).append({ next: 1 });
    await store.close(false);
    const file = join(store.dir, 'valid.jsonl');
    await fs.appendFile(file, '{"next":2,"tota'); // a kill mid-write
    const resumed = await createCheckpointStore(root, KEY);
    const cp = await resumed.open('valid');
    expect(cp.records).toEqual([{ next: 1 }]);
    await cp.append({ next: 2 });
    await resumed.close(false);
    expect(await fs.readFile(file, 'utf8')).toBe('{"next":1}\n{"next":2}\n');
  });

  it('another key (other params, another model) is another folder', () => {
    expect(checkpointKey(KEY)).not.toBe(checkpointKey({ ...KEY, params: { 'block-size': 64, stride: 48 } }));
    expect(checkpointKey(KEY)).not.toBe(checkpointKey({ ...KEY, model: 'b'.repeat(64) }));
    expect(checkpointKey(KEY)).not.toBe(checkpointKey({ ...KEY, limit: 3 }));
    expect(checkpointKey(KEY)).toBe(checkpointKey({ ...KEY, limit: undefined }));
  });

  it('a second run of the same key is refused while the first holds it; the store goes when finished', async () => {
    const first = await createCheckpointStore(root, KEY);
    await expect(createCheckpointStore(root, KEY)).rejects.toMatchObject({
      exitCode: 2,
      code: 'E_OUTPUT_LOCKED',
      message: expect.stringContaining(
        `--resume cache ${first.dir} is being written by another mc run (pid ${process.pid}`,
      ),
    });
    await first.close(true);
    await expect(fs.stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
