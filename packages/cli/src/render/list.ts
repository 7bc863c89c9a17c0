import type { ListReport } from '@mc-kit/core';
import { table } from './table.js';

export function renderList(r: ListReport, withParams: boolean): string {
  const lines: string[] = [];
  for (const kind of ['method', 'metric', 'dataset'] as const) {
    const items = r.items.filter((i) => i.kind === kind);
    if (items.length === 0) continue;
    const head =
      kind === 'method'
        ? ['method', 'summary', 'plugin']
        : [kind, kind === 'metric' ? 'scores' : 'kind', 'summary', 'plugin'];
    const rows = items.map((i) =>
      kind === 'method'
        ? [i.id, i.summary, `${i.plugin}@${i.version}`]
        : [i.id, i.datasetKinds.join(', '), i.summary, `${i.plugin}@${i.version}`],
    );
    lines.push(table(head, rows), '');
    if (withParams) {
      for (const i of items.filter((x) => x.params.length)) {
        lines.push(`${i.id} parameters${sweepNote(i)}:`);
        lines.push(
          table(
            ['flag', 'type', 'description'],
            i.params.map((p) => [`--${p.name}`, p.detail, p.description]),
          ),
          '',
        );
      }
    }
  }
  if (r.items.length === 0) lines.push('no methods, metrics or datasets are installed');
  for (const c of r.conflicts) lines.push(`conflict: ${c}`);
  if (!withParams) lines.push("mc list --params shows each one's parameters");
  return lines.join('\n').trimEnd();
}

/** What a bare `mc sweep --sweep v1,v2` walks for this method. */
function sweepNote(i: ListReport['items'][number]): string {
  if (i.kind !== 'method') return '';
  if (i.sweepParam === undefined) return ' (mc sweep: name the parameter, --sweep NAME=v1,v2)';
  return ` (mc sweep --sweep v1,v2 walks --${i.sweepParam}${i.sweepParamVaries ? ' at the defaults; it depends on the other flags' : ''})`;
}
