/**
 * Dataset provider `parquet`: one `.parquet` file read with hyparquet (snappy, gzip, zstd, brotli, lz4
 * through hyparquet-compressors). The record is one string column: `--field`, or else the first of
 * `content`, `text` the file has. One subset named after the file stem; join "\n\n".
 *
 * hyparquet is imported when a file is opened, not when the plugin loads, so `mc --help` stays fast.
 */
import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { assertRegularFile, ErrorCodes, UserError } from '@mc-kit/core';
import type { DatasetProvider, DatasetRef, RunContext, TextDataset } from '@mc-kit/core';
import { bad, checkLimit, localPath, owns, stemOf, textDataset } from './common.js';

const PROVIDER_ID = 'parquet';
export const DEFAULT_PARQUET_COLUMNS = Object.freeze(['content', 'text']);

type Hyparquet = typeof import('hyparquet');
type Compressors = typeof import('hyparquet-compressors').compressors;

async function loadHyparquet(): Promise<{ hp: Hyparquet; compressors: Compressors }> {
  try {
    const [hp, hc] = await Promise.all([import('hyparquet'), import('hyparquet-compressors')]);
    return { hp, compressors: hc.compressors };
  } catch (e) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `cannot load the parquet reader (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
      {
        hint: 'reinstall @mc-kit/plugin-lm with its dependencies hyparquet and hyparquet-compressors',
      },
    );
  }
}

function firstLine(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

export interface ParquetText {
  readonly column: string;
  readonly records: string[];
}

/**
 * The string column `field` (or the first of `fallback` present) of a parquet file, first `limit`
 * rows when given. Anything hyparquet cannot read is E_BAD_DATASET naming the file, never a stack.
 */
export async function readParquetText(
  path: string,
  where: string,
  field: string | undefined,
  fallback: readonly string[],
  limit?: number,
): Promise<ParquetText> {
  const { hp, compressors } = await loadHyparquet();
  assertRegularFile(path, where, ErrorCodes.BAD_DATASET);
  const bytes = await fs.readFile(path);
  if (bytes.length < 12)
    bad(
      `${where}: not a readable parquet file (${bytes.length} bytes; a parquet file has at least 12)`,
      'pass a .parquet file, e.g. a Hugging Face datasets shard',
    );
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: Awaited<ReturnType<Hyparquet['parquetMetadataAsync']>>;
  let columns: string[];
  try {
    metadata = await hp.parquetMetadataAsync(file);
    columns = hp.parquetSchema(metadata).children.map((c) => c.element.name);
  } catch (e) {
    bad(
      `${where}: not a readable parquet file (${firstLine(e)})`,
      'pass a .parquet file, e.g. a Hugging Face datasets shard',
    );
  }
  const column = field ?? fallback.find((c) => columns.includes(c));
  if (column === undefined || !columns.includes(column)) {
    const wanted =
      field === undefined ? `none of the columns ${fallback.map((c) => `'${c}'`).join(', ')}` : `no column '${field}'`;
    bad(`${where}: ${wanted}; the file has: ${columns.join(', ')}`, 'pass --field with the column that holds the text');
  }
  let rows: Record<string, unknown>[];
  try {
    rows = await hp.parquetReadObjects({
      file,
      metadata,
      columns: [column],
      compressors,
      ...(limit === undefined ? {} : { rowEnd: limit }),
    });
  } catch (e) {
    bad(
      `${where}: cannot read column '${column}' (${firstLine(e)})`,
      'the file may be truncated or use an unsupported encoding',
    );
  }
  const records = rows.map((row, i) => {
    const v = row[column];
    if (typeof v !== 'string')
      bad(
        `${where}: row ${i}: column '${column}' is ${v === null || v === undefined ? 'null' : `a ${typeof v}`}, not a string`,
        'pass --field with a string column',
      );
    return v;
  });
  return { column, records };
}

export class ParquetDataset implements DatasetProvider<'text'> {
  readonly id = PROVIDER_ID;
  readonly kind = 'text';
  readonly summary = `text records from a .parquet column (--field, default '${DEFAULT_PARQUET_COLUMNS.join("' or '")}')`;

  async canOpen(ref: DatasetRef): Promise<boolean> {
    return owns(ref, PROVIDER_ID);
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<TextDataset> {
    const limit = checkLimit(ref.limit);
    const path = localPath(ref, PROVIDER_ID);
    const { column, records } = await readParquetText(path, ref.ref, ref.field, DEFAULT_PARQUET_COLUMNS, limit);
    ctx.log.debug(`${ref.ref}: ${records.length} records from column '${column}'`);
    return textDataset({
      provider: PROVIDER_ID,
      ref,
      files: [{ name: basename(path), path }],
      subsets: [{ name: stemOf(path), records }],
      join: '\n\n',
    });
  }
}
