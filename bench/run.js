// npm run bench: every benchmark prints its figures and ratios (targets are checked here, never by
// timed unit tests). Run after `npm run build`.
import { benchInt8 } from './int8.mjs';

console.log(`mc benchmarks: node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
await benchInt8();
