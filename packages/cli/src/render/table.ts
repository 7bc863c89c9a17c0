/** Tables for humans (cli-table3: maintained, handles widths and wrapping). */
import Table from 'cli-table3';

export function table(head: string[], rows: (string | number)[][], options: { align?: ('left' | 'right')[] } = {}): string {
  const t = new Table({
    head,
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
