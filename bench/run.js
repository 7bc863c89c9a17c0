// npm run bench: every benchmark prints its figures and ratios (targets are checked here, never by
// timed unit tests). Run after `npm run build`.
import { cpus } from 'node:os';
import { benchInt8 } from './int8.mjs';
import { benchLm } from './lm.mjs';

const only = process.argv[2];
console.log(`mc benchmarks: node ${process.version}, ${cpus().length} cores\n`);
if (!only || only === 'int8') await benchInt8();
if (!only || only === 'lm') {
  console.log('');
  await benchLm();
}
