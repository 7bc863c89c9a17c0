/**
 * What the text dataset providers share: errors, --limit, the digest, UTF-8 decoding, line streaming,
 * and `textProviderFor`, the one place that decides which provider owns a path.
 *
 * Records are kept exactly as stored (no strip, no normalisation), in file order, empty ones
 * included: bpc drops empty records itself and WikiText-2's classic join needs its empty rows
 * (contracts.ts TextDataset; spec bpc-perplexity A.2, B.1).
 */
import { createReadStream, existsSync, promises as fs, type Dirent } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { ErrorCodes, UserError, assertRegularFile, isMcError, sha256Files } from '@mc-kit/core';
import type { DatasetRef, TextDataset, TextSubset } from '@mc-kit/core';

export type TextProviderId = 'llm-compression' | 'wikitext-2' | 'jsonl' | 'parquet' | 'text-file';

export function bad(message: string, hint?: string): never {
  throw new UserError(ErrorCodes.BAD_DATASET, message, hint === undefined ? {} : { hint });
}

/** The local path of a ref, or a readable error (these providers read local files only). */
export function localPath(ref: DatasetRef, provider: string): string {
  if (!ref.path)
    throw new UserError(ErrorCodes.FILE_NOT_FOUND, `${ref.ref}: ${provider} reads local files only`, {
      hint: 'pass the path of a file or folder',
    });
  if (!existsSync(ref.path)) throw new UserError(ErrorCodes.FILE_NOT_FOUND, `dataset not found: ${ref.ref}`);
  return ref.path;
}

/** --limit, checked: a positive integer or absent. */
export function checkLimit(limit: number | undefined): number | undefined {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--limit must be a positive integer (got ${limit})`);
  }
  return limit;
}

/** File name without its last extension: `valid.jsonl` -> `valid`. */
export function stemOf(path: string): string {
  return basename(path, extname(path));
}

export interface SourceFile {
  /** name used in the digest (a file name, or a path inside the dataset folder) */
  readonly name: string;
  readonly path: string;
}

/** Build the TextDataset: `limit` keeps the first N records of each subset; size counts what is kept. */
export async function textDataset(opts: {
  provider: string;
  ref: DatasetRef;
  files: readonly SourceFile[];
  subsets: readonly TextSubset[];
  join: string;
}): Promise<TextDataset> {
  const limit = opts.ref.limit;
  const subsets = opts.subsets.map((s) => ({
    name: s.name,
    records: limit === undefined ? s.records : s.records.slice(0, limit),
  }));
  return {
    kind: 'text',
    provider: opts.provider,
    ref: opts.ref.ref,
    digest: await sha256Files(opts.files),
    size: subsets.reduce((n, s) => n + s.records.length, 0),
    subsets,
    join: opts.join,
  };
}

/** Strict UTF-8: invalid bytes are an error, not silently U+FFFD (Python's open(encoding='utf-8') raises too). */
export function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    bad(`${where}: not valid UTF-8`, 'text datasets must be UTF-8 encoded');
  }
}

export async function readUtf8(path: string, where: string): Promise<string> {
  return decodeUtf8(await readable(path, where), where);
}

async function readable(path: string, where: string): Promise<Uint8Array> {
  assertRegularFile(path, where, ErrorCodes.BAD_DATASET); // a FIFO or a device would block or never end
  try {
    return await fs.readFile(path);
  } catch (e) {
    throw new UserError(
      ErrorCodes.FILE_NOT_FOUND,
      `${where}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
}

/**
 * Streams a file as lines split on "\n" (the "\n" dropped, a "\r" before it kept), numbered from 1,
 * each decoded as strict UTF-8. Splitting bytes before decoding keeps memory to one line at a time.
 */
export async function* readLines(path: string, where: string): AsyncGenerator<{ line: number; text: string }> {
  let pending: Buffer[] = [];
  let line = 0;
  assertRegularFile(path, where, ErrorCodes.BAD_DATASET);
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        pending.push(chunk.subarray(start, nl));
        yield { line: ++line, text: decodeUtf8(Buffer.concat(pending), `${where}:${line}`) };
        pending = [];
        start = nl + 1;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
  } catch (e) {
    const errno = e as NodeJS.ErrnoException;
    if (!isMcError(e) && errno.syscall !== undefined)
      throw new UserError(ErrorCodes.FILE_NOT_FOUND, `${where}: cannot read (${errno.code})`);
    throw e;
  } finally {
    stream.destroy();
  }
  if (pending.length > 0) yield { line: ++line, text: decodeUtf8(Buffer.concat(pending), `${where}:${line}`) };
}

/**
 * Python's str.isspace() over a whole string (so `row.strip()` is falsy): Unicode White_Space plus
 * the separators \x1c-\x1f that Python also counts; unlike JS trim(), U+FEFF is not whitespace.
 */
export function isPythonBlank(s: string): boolean {
  // eslint-disable-next-line no-control-regex -- \x1c-\x1f are whitespace to Python's str.isspace()
  return /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/.test(s);
}

// ---------------------------------------------------------------- who owns a path

export const LLM_COMPRESSION_FILES = Object.freeze({
  python: ['python.jsonl'],
  cc: ['cc.jsonl', 'commoncraw.jsonl'],
  arxiv_math: ['arxiv_math.jsonl'],
} as const);
const LLM_COMPRESSION_NAMES = new Set<string>(Object.values(LLM_COMPRESSION_FILES).flat());

export const WIKITEXT_RAW = 'wiki.test.raw';
const WIKITEXT_HF_CONFIG = 'wikitext-2-raw-v1';

/**
 * A folder named like WikiText-2 raw (wikitext, wikitext-2-raw-v1, datasets--Salesforce--wikitext):
 * not WikiText-103, and not the tokenized `wikitext-2-v1` (its text has <unk>; spec B.1).
 */
export function isWikitextDirName(name: string): boolean {
  return /wikitext/i.test(name) && !/103/.test(name) && !/^wikitext-2-v1$/i.test(name);
}

export function isTxt(name: string): boolean {
  return name.toLowerCase().endsWith('.txt');
}

/** name -> is a folder, for the entries of `dir` (symbolic links followed, as in a HF cache snapshot). */
export async function entries(dir: string): Promise<Map<string, boolean>> {
  const isDir = async (d: Dirent): Promise<boolean> =>
    d.isSymbolicLink()
      ? (await fs.stat(join(dir, d.name)).catch(() => undefined))?.isDirectory() === true
      : d.isDirectory();
  try {
    const list = await fs.readdir(dir, { withFileTypes: true });
    return new Map(await Promise.all(list.map(async (d) => [d.name, await isDir(d)] as const)));
  } catch {
    return new Map();
  }
}

/** Parquet test shards inside a wikitext folder (or its `wikitext-2-raw-v1` config folder), sorted. */
export async function wikitextParquetIn(dir: string): Promise<string[]> {
  if (!isWikitextDirName(basename(dir))) return [];
  const here = await entries(dir);
  const shards = (names: Iterable<string>): string[] => [...names].filter((n) => /^test-.*\.parquet$/.test(n)).sort();
  const direct = shards(here.keys());
  if (direct.length > 0) return direct;
  if (here.get(WIKITEXT_HF_CONFIG) === true)
    return shards((await entries(join(dir, WIKITEXT_HF_CONFIG))).keys()).map((n) => `${WIKITEXT_HF_CONFIG}/${n}`);
  return [];
}

/**
 * Which text provider owns `path`, by names only (cheap; nothing is parsed). The answers are disjoint,
 * so the eval service's pick does not depend on registration order: the specific layouts
 * (llm-compression, wikitext-2) are decided first, and the generic providers never claim them
 * (jsonl refuses a folder, text-file refuses wiki.test.raw, parquet refuses a parquet inside a
 * wikitext folder).
 */
export async function textProviderFor(path: string): Promise<TextProviderId | undefined> {
  let isDir: boolean;
  try {
    const st = await fs.stat(path);
    if (!st.isDirectory() && !st.isFile()) return undefined;
    isDir = st.isDirectory();
  } catch {
    return undefined;
  }
  if (isDir) {
    const names = await entries(path);
    if ([...names].some(([n, d]) => !d && LLM_COMPRESSION_NAMES.has(n))) return 'llm-compression';
    if (names.get(WIKITEXT_RAW) === false) return 'wikitext-2';
    if ((await wikitextParquetIn(path)).length > 0) return 'wikitext-2';
    if ([...names].some(([n, d]) => !d && isTxt(n))) return 'text-file';
    return undefined;
  }
  const name = basename(path);
  if (name === WIKITEXT_RAW) return 'wikitext-2';
  const ext = extname(name).toLowerCase();
  if (ext === '.jsonl') return 'jsonl';
  if (isTxt(name)) return 'text-file';
  if (ext === '.parquet') return isWikitextDirName(basename(dirname(path))) ? 'wikitext-2' : 'parquet';
  return undefined;
}

/** canOpen for provider `id`: a local path that `textProviderFor` gives to it. */
export async function owns(ref: DatasetRef, id: TextProviderId): Promise<boolean> {
  return ref.path !== undefined && (await textProviderFor(ref.path)) === id;
}
