// npm run bench [NAME...]: every benchmark prints its figures and ratios (targets are checked here,
// never by timed unit tests). Run after `npm run build`. Each benchmark is a module under bench/
// exporting `run()`; a name given on the command line runs only that one.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';

// name -> module file (relative to bench/) and the function it exports.
const BENCHES = [
  ['int8', './int8.mjs', 'benchInt8'],
  ['lm', './lm.mjs', 'benchLm'],
  ['kld', './kld.mjs', 'benchKld'], // issue 19: --metric kld's peak memory flat in the vocabulary, its time against bpc
  ['latency', './latency.mjs', 'benchLatency'], // issue 19: --metric latency of int8, int4, hyper, channel pruning as ratios to dense
  ['int4', './int4.mjs', 'benchInt4'], // issue 5: dense / int8 / int4 / GPTQ on the shared LM and mnist
  ['hyper', './hyper.mjs', 'benchHyper'], // issue 6: hyper presets, --l auto, --target-bpw on unet, mnist, LM
  ['prune', './prune.mjs', 'benchPrune'], // issue 9: magnitude / Wanda / SparseGPT curves, channel pruning
  ['channel-recover', './channel-recover.mjs', 'benchChannelRecover'], // issue 22: channel pruning with --recover none / refit / obs on digits-unet and mnist-cnn
  ['kick', './kick.mjs', 'benchKick'], // issue 10: MMLU, generation throughput, int4 vs dense
  ['generate', './generate.mjs', 'benchGenerate', 'named'], // issue 10: generation tokens/s with and without the KV cache (kick runs it too)
  ['fuzz', './fuzz.mjs', 'benchFuzz', 'named'], // issue 17: 1,000 mutants through inspect and compress, counts by outcome
  ['queue', './queue.mjs', 'benchQueue'], // issue 20: an 8-point sweep locally and with --queue on 1 and 2 local workers, overhead per job
  ['eval-shards', './eval-shards.mjs', 'benchEvalShards'], // issue 20: mc eval --shards: BPC in one process, 4 shards in-process, 4 shards on 2 local workers; equal bit for bit
];

const only = process.argv.slice(2);
const unknown = only.filter((n) => !BENCHES.some(([name]) => name === n));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHES.map(([n]) => n).join(', ')}`);
  process.exit(2);
}
console.log(`mc benchmarks: node ${process.version}, ${cpus().length} cores\n`);
for (const [name, file, fn, when] of BENCHES) {
  if (only.length > 0 ? !only.includes(name) : when === 'named') continue;
  if (!existsSync(new URL(file, import.meta.url))) continue; // a benchmark not written yet
  const mod = await import(file);
  console.log(`== ${name} ==`);
  await mod[fn]();
  console.log('');
}
