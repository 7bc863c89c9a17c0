/**
 * The format, apart from the files: a pure parser, tested on strings. The example format is the
 * MNIST-in-CSV layout: one image per line, `label,p0,p1,...` with the pixels of a square grayscale
 * image in row-major order (0..255), and an optional header line (`label,1x1,1x2,...`).
 *
 * REPLACE: this file is the example format's parser. Put yours here.
 */
import { ErrorCodes, UserError } from '@mc-kit/core';

export interface ParsedImages {
  readonly count: number;
  /** width = height: the images are square */
  readonly side: number;
  /** uint8 pixels [count, 1, side, side] */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

function bad(where: string, message: string): never {
  throw new UserError(ErrorCodes.BAD_DATASET, `${where}: ${message}`, {
    hint: 'csv-images reads lines of `label,pixel,pixel,...` (integers 0..255) of square grayscale images',
  });
}

function byte(cell: string, where: string, line: number, what: string): number {
  const v = Number(cell);
  if (cell.trim() === '' || !Number.isInteger(v) || v < 0 || v > 255)
    bad(where, `line ${line}: ${what} ${JSON.stringify(cell)} is not an integer in 0..255`);
  return v;
}

/** Parse the whole text; `limit` keeps the first rows only. Lines are counted from 1, as editors do. */
export function parseImageCsv(text: string, where: string, limit = Infinity): ParsedImages {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) bad(where, 'the file is empty');
  const header = !/^\s*\d/.test(lines[first]);
  const rows: { cells: string[]; line: number }[] = [];
  for (let i = first + (header ? 1 : 0); i < lines.length && rows.length < limit; i++) {
    if (lines[i].trim() !== '') rows.push({ cells: lines[i].split(','), line: i + 1 });
  }
  if (rows.length === 0) bad(where, 'no image rows after the header');
  const columns = rows[0].cells.length - 1;
  const side = Math.round(Math.sqrt(columns));
  if (columns < 1 || side * side !== columns)
    bad(where, `line ${rows[0].line}: ${columns} pixel columns is not a square image`);
  const pixels = new Uint8Array(rows.length * columns);
  const labels = new Uint8Array(rows.length);
  rows.forEach(({ cells, line }, r) => {
    if (cells.length !== columns + 1)
      bad(where, `line ${line}: ${cells.length - 1} pixel columns, the first row has ${columns}`);
    labels[r] = byte(cells[0], where, line, 'label');
    for (let c = 0; c < columns; c++) pixels[r * columns + c] = byte(cells[c + 1], where, line, 'pixel');
  });
  return { count: rows.length, side, pixels, labels };
}
