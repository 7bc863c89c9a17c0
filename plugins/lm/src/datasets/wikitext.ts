/**
 * Dataset provider `wikitext-2`: the WikiText-2 raw test split, rows exactly as Hugging Face's
 * `wikitext` builder yields them, for classic perplexity ("\n\n".join(rows), spec bpc-perplexity B.1).
 *
 * Accepts `wiki.test.raw` (from wikitext-2-raw-v1.zip), a folder holding it, a parquet file inside a
 * folder named like wikitext (the HF `wikitext-2-raw-v1/test-00000-of-00001.parquet`), or such a
 * folder itself. The parquet rows were written by that builder, so they are taken as stored.
 *
 * The raw file is split as the builder does it. huggingface/datasets @ 02bb18c7,
 * datasets/wikitext/wikitext.py, `_generate_examples`:
 *     with open(data_file, encoding="utf-8") as f:
 *         for idx, row in enumerate(f):
 *             if row.strip():
 *                 yield idx, {"text": row}
 *             else:
 *                 yield idx, {"text": ""}
 * So: one row per line, its line end kept; text-mode open() uses universal newlines ("\r\n" and a lone
 * "\r" end a line and read as "\n"); a line that is whitespace by str.isspace() becomes "".
 */
import { statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { DatasetProvider, DatasetRef, RunContext, TextDataset } from '@mc-kit/core';
import {
  WIKITEXT_RAW,
  bad,
  checkLimit,
  isPythonBlank,
  localPath,
  owns,
  readUtf8,
  textDataset,
  wikitextParquetIn,
  type SourceFile,
} from './common.js';
import { readParquetText } from './parquet.js';

const PROVIDER_ID = 'wikitext-2';
const SUBSET = 'wikitext-2';
/** What the real split looks like (spec B.1): its first non-empty row, and its row count (HF card). */
export const WIKITEXT2_TEST = Object.freeze({ firstRow: ' = Robert Boulter = \n', rows: 4358 });

/** Rows of a wiki.*.raw text, as the HF builder yields them (see the file comment). */
export function wikitextRows(text: string): string[] {
  const rows: string[] = [];
  for (const [line] of text.matchAll(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+/g)) {
    const row = line.replace(/\r\n?$/, '\n');
    rows.push(isPythonBlank(row) ? '' : row);
  }
  return rows;
}

/** The files to read: the raw file, or parquet shards in name order. */
async function sourcesOf(path: string, where: string): Promise<{ files: SourceFile[]; raw: boolean }> {
  if (!statSync(path).isDirectory())
    return { files: [{ name: basename(path), path }], raw: extname(path).toLowerCase() !== '.parquet' };
  try {
    if (statSync(join(path, WIKITEXT_RAW)).isFile())
      return { files: [{ name: WIKITEXT_RAW, path: join(path, WIKITEXT_RAW) }], raw: true };
  } catch {
    // no raw file here: look for parquet shards
  }
  const shards = await wikitextParquetIn(path);
  if (shards.length === 0)
    bad(
      `${where}: no ${WIKITEXT_RAW} and no test-*.parquet here`,
      'pass wikitext-2-raw/wiki.test.raw or the HF wikitext-2-raw-v1 parquet folder',
    );
  return { files: shards.map((name) => ({ name, path: join(path, name) })), raw: false };
}

export class WikiText2Dataset implements DatasetProvider<'text'> {
  readonly id = PROVIDER_ID;
  readonly kind = 'text';
  readonly summary =
    'WikiText-2 raw test split (wiki.test.raw or the HF parquet), rows as the HF wikitext builder yields them';

  async canOpen(ref: DatasetRef): Promise<boolean> {
    return owns(ref, PROVIDER_ID);
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<TextDataset> {
    checkLimit(ref.limit);
    const { files, raw } = await sourcesOf(localPath(ref, PROVIDER_ID), ref.ref);
    const rows: string[] = [];
    for (const f of files) {
      const where = f.path === ref.path ? ref.ref : join(ref.ref, f.name);
      const part = raw
        ? wikitextRows(await readUtf8(f.path, where))
        : (await readParquetText(f.path, where, ref.field ?? 'text', [])).records;
      for (const row of part) rows.push(row);
    }
    const first = rows.find((r) => r !== '');
    if (first !== WIKITEXT2_TEST.firstRow || rows.length !== WIKITEXT2_TEST.rows) {
      ctx.log.warn(
        `${ref.ref}: ${rows.length} rows, first ${JSON.stringify(first ?? '')}; the WikiText-2 raw test split has ${WIKITEXT2_TEST.rows}, ` +
          `first ${JSON.stringify(WIKITEXT2_TEST.firstRow)}: perplexity will not compare with published numbers`,
      );
    }
    ctx.log.debug(`${ref.ref}: ${rows.length} rows from ${files.map((f) => f.name).join(', ')}`);
    return textDataset({ provider: PROVIDER_ID, ref, files, subsets: [{ name: SUBSET, records: rows }], join: '\n\n' });
  }
}
