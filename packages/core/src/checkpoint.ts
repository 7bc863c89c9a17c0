/**
 * Resumable evaluation (`mc eval --resume`): a metric records its progress as it goes, and a run
 * interrupted (Ctrl-C, SIGKILL, a lost machine) continues where it stopped, with final figures equal
 * to an uninterrupted run's bit for bit.
 *
 * For metric authors (bpc, perplexity, kld, kick-*), one call per part of the work:
 *
 *     const cp = await openCheckpoint(ctx, subset.name);  // a part: a subset, the model vs the baseline
 *     // cp.records: what an earlier run with the same key appended to this part, in order ([] if none)
 *     ...after each batch or item: await cp.append(record);  // any JSON value
 *
 * Store what lets the loop continue exactly: the running float64 sums after a batch (JSON keeps a
 * double exactly), and the index to go on from; or one record per scored item. On resume, restore the
 * last record and add the next batches to those sums, in the same order as an uninterrupted run, so
 * the result is the same to the last bit. Without --resume, ctx.checkpoints is absent and
 * openCheckpoint gives a part with no records whose append does nothing.
 *
 * The store is a folder per key (eval builds the key from the model and baseline sha256, the dataset
 * digest, the metric id and plugin version, its params, --limit, --field and --seed: what changes the
 * numbers), under `<results>/.cache/<key>/`, one JSONL file per part. Appends are single writes of
 * whole lines, flushed to disk (fdatasync) at most once a second; a torn last line (a kill mid-write)
 * is dropped on reading. eval removes the folder once the result is written.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { RunContext } from './contracts.js';
import { makeDirs } from './atomic-write.js';
import { lockOutput, type OutputLock } from './output-lock.js';

export interface Checkpoint {
  /** what an earlier run with the same key appended to this part, in order */
  readonly records: readonly unknown[];
  append(record: unknown): Promise<void>;
}

export interface CheckpointStore {
  /** the cache folder of this key */
  readonly dir: string;
  open(part: string): Promise<Checkpoint>;
}

const NONE: Checkpoint = Object.freeze({ records: Object.freeze([]), append: async () => {} });

/** The metric's hook: this part's checkpoint, or one that keeps nothing when the run is not resumable. */
export function openCheckpoint(ctx: Pick<RunContext, 'checkpoints'>, part: string): Promise<Checkpoint> {
  return ctx.checkpoints ? ctx.checkpoints.open(part) : Promise.resolve(NONE);
}

/** A stable digest of what changes the numbers (object keys sorted, so their order does not matter). */
export function checkpointKey(inputs: Record<string, unknown>): string {
  return createHash('sha256').update(stableJson(inputs)).digest('hex').slice(0, 32);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const SYNC_EVERY_MS = 1000;

export interface OpenStore extends CheckpointStore {
  /** records found from an earlier run, over every part opened so far */
  readonly resumed: () => number;
  /** release the lock and close the files; `finished`: the result is written, the cache goes */
  close(finished: boolean): Promise<void>;
}

/**
 * The store of one key under `root` (`<results>/.cache`), locked for this run (a second run with the
 * same key is refused, naming the first); `inputs` is written beside the parts for a reader.
 */
export async function createCheckpointStore(
  root: string,
  inputs: Record<string, unknown>,
  onResume?: (part: string, records: number, dir: string) => void,
): Promise<OpenStore> {
  const dir = join(root, checkpointKey(inputs));
  await makeDirs(dir, '--resume cache');
  const lock: OutputLock = await lockOutput(dir, '--resume cache');
  await fs.writeFile(join(dir, 'key.json'), `${JSON.stringify(inputs, null, 2)}\n`);
  const files: fs.FileHandle[] = [];
  let resumed = 0;
  return {
    dir,
    resumed: () => resumed,
    async open(part) {
      const path = join(dir, `${encodeURIComponent(part)}.jsonl`);
      const records = await readRecords(path);
      resumed += records.length;
      if (records.length > 0) onResume?.(part, records.length, dir);
      const file = await fs.open(path, 'a');
      files.push(file);
      let lastSync = Date.now();
      return {
        records,
        async append(record) {
          await file.write(`${JSON.stringify(record)}\n`);
          if (Date.now() - lastSync >= SYNC_EVERY_MS) {
            await file.datasync();
            lastSync = Date.now();
          }
        },
      };
    },
    async close(finished) {
      for (const f of files.splice(0)) await f.close().catch(() => undefined);
      if (finished) await fs.rm(dir, { recursive: true, force: true });
      await lock.release();
      if (finished) await fs.rmdir(root).catch(() => undefined); // the .cache folder too, when nothing else is left in it
    },
  };
}

/**
 * The whole lines of a part; a torn last line (no newline: a kill mid-write) is cut off the file so
 * that the next append starts a line of its own. A line that does not parse ends the records there.
 */
async function readRecords(path: string): Promise<unknown[]> {
  const text = await fs
    .readFile(path, 'utf8')
    .catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
  const end = text.lastIndexOf('\n') + 1;
  const records: unknown[] = [];
  let kept = 0;
  for (const line of text.slice(0, end).split('\n').slice(0, -1)) {
    try {
      records.push(JSON.parse(line));
    } catch {
      break;
    }
    kept += Buffer.byteLength(line) + 1;
  }
  if (kept < Buffer.byteLength(text)) await fs.truncate(path, kept).catch(() => undefined);
  return records;
}
