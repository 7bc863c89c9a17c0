/**
 * `mc list --format md`: the registry as Markdown, the README's tables of methods, metrics, datasets
 * and their flags (STYLE.md §6: params declared once; README.md holds this output between markers and
 * readme-tables.test.ts fails when they differ). No versions: a release must not change the README.
 */
import type { ListReport, ListRow } from '@mc-kit/core';

const KINDS = [
  { kind: 'method', title: 'Methods (`mc compress --method`)' },
  { kind: 'metric', title: 'Metrics (`mc eval --metric`)' },
  { kind: 'dataset', title: 'Dataset providers (`--dataset-type`)' },
] as const;

/** One cell: pipes escaped, line breaks folded, so a description never breaks the table. */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ');
}

function mdTable(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

function itemTable(kind: ListRow['kind'], items: readonly ListRow[]): string[] {
  const code = (s: string) => `\`${s}\``;
  if (kind === 'method')
    return mdTable(
      ['method', 'plugin', 'what it does'],
      items.map((i) => [code(i.id), code(i.plugin), i.summary]),
    );
  return mdTable(
    [kind, kind === 'metric' ? 'scores' : 'kind', 'plugin', 'what it does'],
    items.map((i) => [code(i.id), i.datasetKinds.map(code).join(', '), code(i.plugin), i.summary]),
  );
}

function paramTable(item: ListRow): string[] {
  return [
    `**\`${item.id}\`** flags:`,
    '',
    ...mdTable(
      ['flag', 'type, range, default', 'description'],
      item.params.map((p) => [`\`--${p.name}\``, p.detail, p.description]),
    ),
  ];
}

export function renderListMarkdown(r: ListReport, withParams: boolean): string {
  const blocks: string[][] = [];
  for (const { kind, title } of KINDS) {
    const items = r.items.filter((i) => i.kind === kind);
    if (items.length === 0) continue;
    blocks.push([`#### ${title}`, '', ...itemTable(kind, items)]);
    if (withParams) for (const i of items.filter((x) => x.params.length > 0)) blocks.push(paramTable(i));
  }
  if (blocks.length === 0) blocks.push(['no methods, metrics or datasets are installed']);
  return blocks.map((b) => b.join('\n')).join('\n\n');
}
