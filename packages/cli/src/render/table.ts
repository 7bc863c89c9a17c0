/** Tables for humans (cli-table3: maintained, handles widths and wrapping). */
import Table from 'cli-table3';

export function table(
  head: string[],
  rows: (string | number)[][],
  options: { align?: ('left' | 'right')[] } = {},
): string {
  const t = new Table({
    head,
    ...fitWidths(head, rows),
    style: { head: [], border: [], compact: true },
    colAligns: options.align ?? head.map(() => 'left'),
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) t.push(r.map(String));
  return t.toString();
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatNumber(n: number | undefined, digits = 4): string {
  if (n === undefined || Number.isNaN(n)) return '-';
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

/**
 * "± 0.0028" beside a value, or nothing: a stderr of 0 is no measured uncertainty but a count that
 * came out exact (top-5 hits on every image, where the binomial error p(1-p)/n vanishes), and
 * "1 ± 0" beside real figures would read as a certainty the data cannot give.
 */
export function formatStderr(stderr: number | undefined): string {
  return stderr !== undefined && Number.isFinite(stderr) && stderr > 0 ? `± ${formatNumber(stderr)}` : '';
}

/**
 * Long descriptions would make a table wider than the terminal: when they do, the widest column
 * wraps at what is left (the others keep their natural width).
 */
function fitWidths(head: string[], rows: (string | number)[][]): { colWidths?: number[]; wordWrap?: boolean } {
  const natural = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)) + 2);
  const width = process.stdout.columns || 120;
  const borders = head.length + 1;
  if (natural.reduce((a, b) => a + b, 0) + borders <= width) return {};
  const widest = natural.indexOf(Math.max(...natural));
  const others = natural.reduce((a, b, i) => (i === widest ? a : a + b), 0) + borders;
  const colWidths = natural.map((w, i) => (i === widest ? Math.max(24, width - others) : w));
  return { colWidths, wordWrap: true };
}
