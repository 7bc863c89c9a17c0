// Child process for the memory benchmark: runs `windows` windows of `length` tokens through one loss
// path of the CausalLM adapter and prints {peakRssBytes, seconds} (VmHWM: this process's own peak).
import { readFileSync } from 'node:fs';
import { createRunContext, loadCausalLM, loadModelRef, OrtSessionFactory } from '@mc-kit/core';

const [dir, lossHead, windowsArg, lengthArg, vocabArg] = process.argv.slice(2);
const windows = Number(windowsArg);
const length = Number(lengthArg);
const vocab = Number(vocabArg);
const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
const lm = await loadCausalLM(await loadModelRef(dir), ctx, { lossHead });
const t0 = performance.now();
let s = 1;
for (let w = 0; w < windows; w++) {
  const inputs = new Int32Array(length);
  const targets = new Int32Array(length);
  for (let t = 0; t < length; t++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    inputs[t] = s % vocab;
    targets[t] = (s >>> 7) % vocab;
  }
  await lm.tokenNll({ batch: 1, length, inputs, targets });
}
const seconds = (performance.now() - t0) / 1000;
await lm.release();
const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
console.log(JSON.stringify({ peakRssBytes: hwm, seconds }));
