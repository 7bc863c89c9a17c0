/**
 * Dataset provider `jsonl`: one `.jsonl` file, one JSON object per line, the record being the string
 * in `--field` (default `content`, the field of hkust-nlp/llm-compression, spec A.2). One subset,
 * named after the file stem; join "\n\n".
 *
 * The file is streamed line by line. A blank line is skipped (it holds no object); an object whose
 * field is "" is an empty record and is kept.
 */
import { basename } from 'node:path';
import type { DatasetProvider, DatasetRef, RunContext, TextDataset } from '@mc-kit/core';
import { bad, checkLimit, localPath, owns, readLines, stemOf, textDataset } from './common.js';

const PROVIDER_ID = 'jsonl';
export const DEFAULT_JSONL_FIELD = 'content';
const KEYS_SHOWN = 12;

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * The string field `field` of every object in a .jsonl file, in file order. `where` names the file
 * in errors ("<where>:<line>: ...").
 */
export async function readJsonlField(path: string, field: string, where: string): Promise<string[]> {
  const records: string[] = [];
  const keys = new Set<string>();
  let firstMissing: number | undefined;
  let missing = 0;
  for await (const { line, text } of readLines(path, where)) {
    const json = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (json.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(json);
    } catch {
      bad(`${where}:${line}: not valid JSON`, 'each line of a .jsonl file must be one JSON object');
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      bad(`${where}:${line}: ${kindOf(obj)}, not a JSON object`, 'each line of a .jsonl file must be one JSON object');
    const record = obj as Record<string, unknown>;
    if (keys.size < KEYS_SHOWN) for (const k of Object.keys(record)) keys.add(k);
    if (!Object.hasOwn(record, field)) {
      firstMissing ??= line;
      missing++;
      continue;
    }
    const value = record[field];
    if (typeof value !== 'string')
      bad(
        `${where}:${line}: field '${field}' is ${kindOf(value)}, not a string`,
        'pass --field with a field that holds the text',
      );
    records.push(value);
  }
  if (missing > 0 && records.length === 0) {
    bad(
      `field '${field}' not found in ${where}; records have: ${[...keys].slice(0, KEYS_SHOWN).join(', ')}`,
      'pass --field with the field that holds the text',
    );
  }
  if (firstMissing !== undefined) {
    bad(
      `${where}:${firstMissing}: no field '${field}' (${missing} of ${missing + records.length} records lack it)`,
      'every record needs the text field; fix or drop those lines',
    );
  }
  return records;
}

export class JsonlDataset implements DatasetProvider<'text'> {
  readonly id = PROVIDER_ID;
  readonly kind = 'text';
  readonly summary = `text records from a .jsonl file, one JSON object per line (--field, default '${DEFAULT_JSONL_FIELD}')`;

  async canOpen(ref: DatasetRef): Promise<boolean> {
    return owns(ref, PROVIDER_ID);
  }

  async open(ref: DatasetRef, ctx: RunContext): Promise<TextDataset> {
    checkLimit(ref.limit);
    const path = localPath(ref, PROVIDER_ID);
    const field = ref.field ?? DEFAULT_JSONL_FIELD;
    const records = await readJsonlField(path, field, ref.ref);
    ctx.log.debug(`${ref.ref}: ${records.length} records from field '${field}'`);
    const name = stemOf(path);
    return textDataset({
      provider: PROVIDER_ID,
      ref,
      files: [{ name: basename(path), path }],
      subsets: [{ name, records }],
      join: '\n\n',
    });
  }
}
