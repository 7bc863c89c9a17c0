import type { ConvertResult } from '@mc-kit/core';
import { formatBytes } from './table.js';

export function renderConvert(r: ConvertResult): string {
  const lines: string[] = [];
  if (r.from.opset === r.to.opset) {
    lines.push(`already at opset ${r.to.opset}: nothing to convert`);
  } else {
    const adapted = r.adapted.map((a) => `${a.op}@${a.opset} x${a.nodes}`).join(', ');
    lines.push(
      `opset ${r.from.opset} -> ${r.to.opset} (IR ${r.from.irVersion} -> ${r.to.irVersion}); ${adapted ? `rewritten: ${adapted}` : 'no node needed rewriting'}`,
    );
  }
  if (r.verification) {
    const v = r.verification;
    const worst = [...v.outputs].sort((a, b) => b.relative - a.relative)[0];
    lines.push(
      `checked in onnxruntime on ${v.probes} probe inputs: every output equal to ${v.tolerance} relative${worst ? ` (largest difference ${worst.relative.toExponential(1)}, ${worst.name})` : ''}`,
    );
  }
  lines.push(`wrote ${r.output.path} (${formatBytes(r.output.bytes)})`);
  return lines.join('\n');
}
