/**
 * Dataset provider `text-file`: a UTF-8 `.txt` file is one record, its whole content as stored; a
 * folder of `.txt` files is one record per file, sorted by file name (code-unit order, so the same
 * on every machine). One subset named after the file or folder; join "\n\n".
 *
 * A file with no bytes holds no record, so an empty file gives an empty dataset (the eval service
 * says "dataset is empty") rather than one empty record.
 */
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import type { DatasetProvider, DatasetRef, RunContext, TextDataset } from '@mc-kit/core';
import {
  checkLimit,
  entries,
  isTxt,
  localPath,
  owns,
  readUtf8,
  stemOf,
  textDataset,
  type SourceFile,
} from './common.js';

const PROVIDER_ID = 'text-file';

async function txtFilesIn(dir: string): Promise<SourceFile[]> {
  const names = [...(await entries(dir))].filter(([name, isDir]) => !isDir && isTxt(name)).map(([name]) => name);
  return names.sort().map((name) => ({ name, path: join(dir, name) }));
}

export class TextFileDataset implements DatasetProvider<'text'> {
  readonly id = PROVIDER_ID;
  readonly kind = 'text';
  readonly summary = 'plain UTF-8 text: a .txt file is one record, a folder of .txt files one record per file';

  async canOpen(ref: DatasetRef): Promise<boolean> {
    return owns(ref, PROVIDER_ID);
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<TextDataset> {
    checkLimit(ref.limit);
    const path = localPath(ref, PROVIDER_ID);
    const isDir = (await fs.stat(path)).isDirectory();
    const files = isDir ? await txtFilesIn(path) : [{ name: basename(path), path }];
    const records: string[] = [];
    for (const f of files) {
      const text = await readUtf8(f.path, isDir ? join(ref.ref, f.name) : ref.ref);
      if (text.length > 0) records.push(text);
    }
    ctx.log.debug(`${ref.ref}: ${records.length} text records from ${files.length} file(s)`);
    const name = isDir ? basename(path) : stemOf(path);
    return textDataset({ provider: PROVIDER_ID, ref, files, subsets: [{ name, records }], join: '\n\n' });
  }
}
