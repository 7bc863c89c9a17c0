import { driftLine, type CompressResult, type DecompressResult } from '@mc-kit/core';
import { formatBytes, formatNumber, table } from './table.js';

export function renderCompress(r: CompressResult, resultPath?: string): string {
  const lines: string[] = [];
  const h = r.hoistedWeights;
  if (h) {
    const moved = [
      h.constants && `${h.constants} from Constant nodes`,
      h.fromSubgraphs && `${h.fromSubgraphs} from If/Loop/Scan bodies`,
    ]
      .filter(Boolean)
      .join(' and ');
    const renamed = h.renamed.length
      ? ` (renamed, as another value has the name: ${h.renamed
          .slice(0, 3)
          .map((x) => `${x.from} in ${x.scope} -> ${x.to}`)
          .join(', ')}${h.renamed.length > 3 ? `, and ${h.renamed.length - 3} more` : ''})`
      : '';
    lines.push(`weights: ${moved} made main-graph initializers before the first method${renamed}`);
  }
  for (const step of r.steps) {
    const changed = step.tensors.filter((t) => t.action !== 'skipped');
    const skipped = step.tensors.length - changed.length;
    lines.push(
      `${step.method}: ${changed.length} tensors compressed, ${skipped} skipped${step.bitsPerWeight !== undefined ? `, ${step.bitsPerWeight.toFixed(3)} bits/weight` : ''}`,
    );
    for (const n of step.notes) lines.push(`  note: ${n}`);
  }
  lines.push(
    table(
      ['', 'file', 'size', 'sha256'],
      [
        ['input', r.model.path, formatBytes(r.model.bytes), r.model.sha256.slice(0, 12)],
        ['output', r.output.path, formatBytes(r.output.bytes), r.output.sha256.slice(0, 12)],
      ],
    ),
  );
  lines.push(
    `size ratio ${formatNumber(r.sizeRatio, 2)}x${r.bitsPerWeight !== undefined ? `, ${r.bitsPerWeight.toFixed(3)} bits per weight (compressed tensors)` : ''}` +
      `${r.fileBitsPerParameter !== undefined ? `, ${r.fileBitsPerParameter.toFixed(3)} file bits per parameter (the whole file / ${r.parameters} parameters)` : ''}, ${r.timings.totalS.toFixed(2)}s`,
  );
  const risks = r.steps.flatMap((s) => (s.qualityRisk ? [`${s.method}: ${s.qualityRisk}`] : []));
  lines.push(driftLine(r.drift) + (risks.length ? `; quality risk: ${risks.join('; ')}` : ''));
  if (resultPath) lines.push(`result: ${resultPath}`);
  return lines.join('\n');
}

export function renderDecompress(r: DecompressResult): string {
  return `undid ${r.undone.join(', ') || 'nothing'}; wrote ${r.output.path} (${formatBytes(r.output.bytes)}, ${r.parameterCount} float parameters)`;
}
