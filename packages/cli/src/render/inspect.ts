import type { InspectReport, WeightPlace } from '@mc-kit/core';
import { formatBytes, table } from './table.js';

export function renderInspect(r: InspectReport): string {
  const sig = (t: { name: string; type: string; shape: (number | string)[] }) =>
    `${t.name}: ${t.type}[${t.shape.join(', ')}]`;
  const lines = [
    `${r.path} (${formatBytes(r.bytes)}${r.externalData ? ', with external data' : ''})`,
    `ir ${r.irVersion}, opsets ${Object.entries(r.opsets)
      .map(([d, v]) => `${d} ${v}`)
      .join(', ')}${r.producer ? `, producer ${r.producer}` : ''}`,
    `inputs:  ${r.inputs.map(sig).join('; ')}`,
    `outputs: ${r.outputs.map(sig).join('; ')}`,
    `${r.nodes} nodes: ${Object.entries(r.ops)
      .sort((a, b) => b[1] - a[1])
      .map(([op, n]) => `${op} ${n}`)
      .join(', ')}`,
    `${r.parameterCount.toLocaleString('en-US')} float parameters`,
    table(
      ['float tensors in', 'count', 'elements', 'bytes'],
      r.weights.places.map((p) => [placeLabel(p), p.tensors, p.elements, formatBytes(p.bytes)]),
      {
        align: ['left', 'right', 'right', 'right'],
      },
    ),
    table(
      ['initializers', 'count', 'elements', 'bytes'],
      r.initializers.map((i) => [i.dtype, i.count, i.elements, formatBytes(i.bytes)]),
      {
        align: ['left', 'right', 'right', 'right'],
      },
    ),
  ];
  if (r.mc) {
    lines.push(
      `compressed by mc: ${r.mc.method}${r.mc.bitsPerWeight !== undefined ? `, ${r.mc.bitsPerWeight} bits per weight` : ''}${r.mc.sourceSha256 ? `, source sha256 ${r.mc.sourceSha256.slice(0, 12)}` : ''}`,
    );
  }
  const other = Object.entries(r.metadata).filter(([k]) => !k.startsWith('mc.'));
  if (other.length)
    lines.push(`metadata: ${other.map(([k, v]) => `${k}=${v.length > 60 ? `${v.slice(0, 57)}...` : v}`).join('; ')}`);
  return lines.join('\n');
}

const HOME_LABELS: Readonly<Record<WeightPlace['home'], string>> = {
  initializer: 'initializers',
  'graph-input': 'initializers listed as graph inputs',
  constant: 'Constant nodes',
  'subgraph-initializer': 'initializers of',
  'subgraph-constant': 'Constant nodes of',
};

function placeLabel(p: WeightPlace): string {
  return p.scope ? `${HOME_LABELS[p.home]} ${p.scope}` : HOME_LABELS[p.home];
}
