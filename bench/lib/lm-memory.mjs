// Child process for the memory benchmark: runs `windows` windows of `length` tokens through one loss
// path of the CausalLM adapter and prints {peakRssBytes, seconds} (VmHWM: this process's own peak).
import { readFileSync } from 'node:fs';
import { createRunContext, loadCausalLM, loadModelRef, OrtSessionFactory } from '@mc-kit/core';
import { randomWindows } from './random-windows.mjs';

const [dir, lossHead, windowsArg, lengthArg, vocabArg] = process.argv.slice(2);
const windows = Number(windowsArg);
const length = Number(lengthArg);
const vocab = Number(vocabArg);
const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent' });
const lm = await loadCausalLM(await loadModelRef(dir), ctx, { lossHead });
const t0 = performance.now();
for (const window of randomWindows(windows, length, vocab)) await lm.tokenNll(window);
const seconds = (performance.now() - t0) / 1000;
await lm.release();
const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
console.log(JSON.stringify({ peakRssBytes: hwm, seconds }));
