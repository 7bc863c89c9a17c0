/**
 * MMLU CSV rows: question, A, B, C, D, answer letter; no header. Parsed with csv-parse (RFC 4180
 * quoting, quoted newlines, line numbers in its errors) rather than by hand.
 *
 * As pandas.read_csv (the reference's reader): a quote inside an unquoted field is a literal character
 * (relax_quotes; val/college_medicine_val.csv has one) and blank lines are skipped. Stricter than
 * pandas: every row must have exactly six fields and a letter A-D, else one error naming file and line.
 */
import { readFileSync } from 'node:fs';
import { parse, CsvError } from 'csv-parse/sync';
import { assertRegularFile, ErrorCodes, UserError } from '@mc-kit/core';
import type { McqQuestion } from './types.js';

const FIELDS = 6;

function bad(message: string, hint: string): never {
  throw new UserError(ErrorCodes.BAD_DATASET, message, { hint });
}

/** The rows of one MMLU CSV file as questions with ids `<idPrefix>/<row>`; `where` names the file in errors. */
export function readMmluCsv(path: string, where: string, idPrefix: string): McqQuestion[] {
  let text: string;
  assertRegularFile(path, where, ErrorCodes.BAD_DATASET);
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new UserError(ErrorCodes.FILE_NOT_FOUND, `${where}: cannot read (${code})`);
    bad(`${where}: not valid UTF-8`, 'MMLU CSV files are UTF-8');
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      relax_quotes: true,
      skip_empty_lines: true,
      relax_column_count: true,
      bom: true,
      info: true,
    });
  } catch (e) {
    if (e instanceof CsvError || (e as { code?: unknown }).code?.toString().startsWith('CSV_')) {
      const err = e as CsvError & { lines?: number };
      bad(
        `${where}:${err.lines ?? '?'}: malformed CSV (${err.message})`,
        'MMLU rows are: question, A, B, C, D, answer letter',
      );
    }
    throw e;
  }
  return records.map(({ record, info }, row) => {
    if (record.length !== FIELDS)
      bad(
        `${where}:${info.lines}: ${record.length} fields, expected ${FIELDS} (question, A, B, C, D, answer)`,
        'quote a field that holds a comma',
      );
    const [question, a, b, c, d, answer] = record;
    if (!/^[ABCD]$/.test(answer))
      bad(
        `${where}:${info.lines}: answer ${JSON.stringify(answer)} is not A, B, C or D`,
        'the sixth field is the gold letter',
      );
    return { id: `${idPrefix}/${row}`, question, choices: [a, b, c, d], answer };
  });
}
