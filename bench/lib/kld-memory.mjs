// Child process for the KLD memory benchmark: `windows` windows of `length` tokens through
// loadKlPair (path fused or logits) and prints the peak RSS of loading, the RSS once loaded, the peak
// while the windows ran (VmHWM reset in between), the seconds the windows took, and the mean KL.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRunContext, loadKlPair, loadModelRef, OrtSessionFactory } from '@mc-kit/core';
import { randomWindows } from './random-windows.mjs';

const [baseDir, modelDir, path, windowsArg, lengthArg, vocabArg] = process.argv.slice(2);
const windows = Number(windowsArg);
const length = Number(lengthArg);
const vocab = Number(vocabArg);
const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
const status = (field) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
const pair = await loadKlPair(await loadModelRef(baseDir), await loadModelRef(modelDir), ctx, {
  path,
  chunk: process.env.MC_KL_CHUNK ? Number(process.env.MC_KL_CHUNK) : undefined,
});
const loadPeakBytes = status('VmHWM');
globalThis.gc?.();
// reset the high-water mark to the current RSS (Linux clear_refs 5), so that the windows' own peak is seen apart from loading's
writeFileSync('/proc/self/clear_refs', '5');
const loadedBytes = status('VmRSS');
const t0 = performance.now();
let sum = 0;
for (const window of randomWindows(windows, length, vocab)) {
  const r = await pair.tokenKl(window);
  for (const x of r.kl) sum += x;
}
const seconds = (performance.now() - t0) / 1000;
await pair.release();
const windowsPeakBytes = status('VmHWM');
console.log(
  JSON.stringify({
    loadPeakBytes,
    loadedBytes,
    windowsPeakBytes,
    seconds,
    head: pair.head,
    meanKl: sum / (windows * length),
  }),
);
