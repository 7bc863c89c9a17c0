import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os'; import { join } from 'node:path';
import { OnnxModel, loadOrt } from './packages/core/dist/index.js';
import { mutateModel } from './packages/core/dist/testing/index.js';
const ort = await loadOrt();
const original = readFileSync('/work/shared/models/mnist-cnn/model.onnx');
const dir = mkdtempSync(join(tmpdir(), 'g-'));
const byCheck = new Map(); let ortLoadsButRefused = 0, refused = 0;
for (let s = 0; s < 1000; s++) {
  const m = mutateModel(original, s); const p = join(dir, 'm.onnx'); writeFileSync(p, m.bytes);
  try { await OnnxModel.load(p); } catch (e) {
    if (e.code !== 'E_INVALID_MODEL') continue; refused++;
    const check = e.message.match(/\[([a-z0-9-]+)\]/)[1];
    let loads = true; try { const x = await ort.InferenceSession.create(p, { logSeverityLevel: 4 }); await x.release(); } catch { loads = false; }
    const k = byCheck.get(check) ?? { refused: 0, ortLoads: 0, examples: [] }; k.refused++; if (loads) { k.ortLoads++; ortLoadsButRefused++; if (k.examples.length < 2) k.examples.push(`${m.kind}: ${e.message.split(': ').slice(1).join(': ').slice(0, 150)}`); }
    byCheck.set(check, k);
  }
}
console.log({ refused, ortLoadsButRefused });
for (const [k, v] of byCheck) console.log(k, v.refused, 'ort loads:', v.ortLoads, v.examples);
