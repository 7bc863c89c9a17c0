import type { SearchReport } from '../search/npm-search.js';
import { table } from './table.js';

export function renderSearch(r: SearchReport, bin: string): string {
  const what = r.term ? ` matching "${r.term}"` : '';
  if (r.items.length === 0) return `no mc plugins${what} on ${r.registry} (packages with the keyword mc-plugin)`;
  return [
    table(
      ['package', 'version', 'description'],
      r.items.map((i) => [i.name, i.version, i.description]),
    ),
    '',
    `${r.items.length} mc plugin${r.items.length === 1 ? '' : 's'}${what} on ${r.registry}; install one with: ${bin} plugins install PACKAGE`,
  ].join('\n');
}
