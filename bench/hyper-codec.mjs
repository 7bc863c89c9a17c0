// hyper codec benchmark (issue 6, spec §3.2): encode throughput of the hyperfunction encoder on a
// ~4M-weight Student-t(3) tensor, one thread vs worker threads, for the three reference presets;
// the O(1) lattice nearest-point search vs brute force; decode throughput. Target: >= 20 M
// weights/s of encode (the reference, sklearn KD-tree + numpy, does ~2.1 M/s).
// Run after building: node bench/run.js hyper  (hyper.mjs calls benchHyperCodec), or alone:
//   node -e "import('./bench/hyper-codec.mjs').then((m) => m.benchHyperCodec())"
import { availableParallelism } from 'node:os';
import { PRESETS, decodeTensor, encodeTensor, encodeTensorParallel, shutdownEncodeWorkers } from '@mc-kit/plugin-hyper';
import { buildCodebook, buildLattice, nearestBrute, nearestLattice } from '../plugins/hyper/dist/codec/kernel.js';
import { table } from './lib/measure.mjs';

const TARGET = 20e6;

/** Student-t(3) weights, deterministic (heavy tails: every shell gets pairs). */
function studentT(count, scale, seed = 1) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const w = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const chi2 = gauss() ** 2 + gauss() ** 2 + gauss() ** 2;
    w[i] = (scale * gauss()) / Math.sqrt(chi2 / 3);
  }
  return w;
}

async function median(fn, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** ns per iteration of a trivial float loop: how fast (or shared) this machine is right now. */
function calibrate() {
  const n = 5e7;
  const t0 = performance.now();
  let s = 0;
  for (let i = 0; i < n; i++) s += i * 0.5;
  if (s < 0) console.log(s);
  return ((performance.now() - t0) * 1e6) / n;
}

export async function benchHyperCodec({ weights = 4 * 1024 * 1024, runs = 3 } = {}) {
  const threads = availableParallelism();
  console.log(
    `hyper codec: ${(weights / 2 ** 20).toFixed(0)} Mi Student-t(3) weights, ${threads} worker threads; ` +
      `calibration ${calibrate().toFixed(1)} ns per trivial loop iteration (about 1 on an idle modern core)`,
  );
  const rows = [];
  const figures = {};
  // scales typical of each preset's models: UNet convs ~0.05, MobileNetV3 ~0.2, LLM linears ~0.02
  for (const [preset, scale] of [
    ['llm', 0.02],
    ['unet', 0.05],
    ['mobilenet', 0.2],
  ]) {
    const w = studentT(weights, scale);
    const settings = PRESETS[preset];
    let enc;
    const cpu0 = process.cpuUsage();
    const t1 = await median(() => {
      enc = encodeTensor('w', w, settings);
    }, runs);
    const cpu = process.cpuUsage(cpu0);
    const cpuPerRun = (cpu.user + cpu.system) / 1e6 / runs; // CPU seconds: less sensitive to other load
    let par;
    await encodeTensorParallel('w', w, settings, { threads }); // start the workers
    const tp = await median(async () => {
      par = await encodeTensorParallel('w', w, settings, { threads });
    }, runs);
    const same =
      JSON.stringify({ ...par, bytes: [...par.bytes] }) === JSON.stringify({ ...enc, bytes: [...enc.bytes] });
    const td = enc.kind === 'hyper' ? await median(() => decodeTensor(enc), runs) : NaN;
    const bpw = enc.kind === 'hyper' ? (enc.bytes.length * 8 + 19 * 8) / weights : 32;
    rows.push([
      preset,
      enc.kind === 'hyper' ? `${enc.K}/${enc.bits}` : enc.reason,
      bpw.toFixed(3),
      enc.mae.toExponential(2),
      (weights / t1 / 1e6).toFixed(1),
      (weights / cpuPerRun / 1e6).toFixed(1),
      (weights / tp / 1e6).toFixed(1),
      (weights / tp / TARGET).toFixed(2),
      same ? 'yes' : 'NO',
      (weights / td / 1e6).toFixed(0),
    ]);
    figures[preset] = {
      oneThread: weights / t1,
      oneThreadPerCpuSecond: weights / cpuPerRun,
      workers: weights / tp,
      identical: same,
    };
  }
  console.log(
    table(
      [
        'preset',
        'K/bits',
        'bits/w',
        'MAE',
        'enc 1T M/s',
        '1T per CPU-s',
        `enc ${threads}W M/s`,
        'x target',
        'same bytes',
        'dec M/s',
      ],
      rows,
    ),
  );

  // nearest-point search: the O(1) lattice lookup vs brute force (what a KD-tree approximates)
  const nn = [];
  for (const [n, l] of [
    [225, 0.1],
    [1600, 0.1],
    [1600, 0.8],
  ]) {
    const T = buildCodebook(n, l, 0.001, -0.002);
    const L = buildLattice(T, n, l);
    // queries where the encoder makes them: inside the square (inner pairs, shell-scaled pairs)
    const q = new Float64Array(2 * 200000);
    let seed = 7;
    for (let i = 0; i < q.length; i++)
      q[i] = T[i & 1] + l * ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
    let sink = 0;
    const tl = await median(() => {
      for (let i = 0; i < q.length; i += 2) sink += nearestLattice(L, q[i], q[i + 1]);
    }, runs);
    const qb = q.subarray(0, 2 * 5000);
    const tb = await median(() => {
      for (let i = 0; i < qb.length; i += 2) sink += nearestBrute(T, qb[i], qb[i + 1]);
    }, 1);
    if (sink < 0) console.log(sink);
    nn.push([
      `n=${n} l=${l}`,
      ((tl / (q.length / 2)) * 1e9).toFixed(0),
      ((tb / (qb.length / 2)) * 1e9).toFixed(0),
      (tb / (qb.length / 2) / (tl / (q.length / 2))).toFixed(0),
    ]);
  }
  console.log(table(['codebook', 'lattice ns/query', 'brute ns/query', 'speed-up'], nn));
  const best = Math.max(...Object.values(figures).map((f) => f.workers));
  console.log(
    `best encode ${(best / 1e6).toFixed(1)} M weights/s = ${(best / TARGET).toFixed(2)}x the 20 M/s target ` +
      '(timings on a shared machine are pessimistic)',
  );
  await shutdownEncodeWorkers();
  return figures;
}
