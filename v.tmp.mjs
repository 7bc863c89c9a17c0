import { readFileSync } from 'node:fs';
import { pb } from './packages/core/dist/onnx/proto.js';
import { normalizeInt64 } from './packages/core/dist/onnx/proto.js';
import { validateModel, formatIssue } from './packages/core/dist/onnx/validate/index.js';
for (const f of process.argv.slice(2)) {
  const m = pb.ModelProto.decode(readFileSync(f)); normalizeInt64(m);
  const t = performance.now(); const issues = validateModel(m);
  console.log(f, issues.length, (performance.now() - t).toFixed(1) + 'ms'); for (const i of issues.slice(0, 5)) console.log('  ', formatIssue(i));
}
