import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(REPO, 'bin', 'mc');

/** Median wall time (s) of `runs` calls of fn (after one warm-up call). */
export function timeIt(fn, runs = 3) {
  fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Run bin/mc in a child process; returns wall seconds and the child's peak RSS in bytes. */
export function mcWithPeakRss(args) {
  const rssFile = join(mkdtempSync(join(tmpdir(), 'mc-bench-')), 'rss');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', join(REPO, 'bench/lib/peak-rss.mjs'), BIN, ...args], {
    env: { ...process.env, MC_BENCH_RSS_FILE: rssFile },
    encoding: 'utf8',
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`mc ${args.join(' ')} failed: ${r.stderr}`);
  return { wall, peakRss: Number(readFileSync(rssFile, 'utf8')) * 1024 };
}

export function table(head, rows) {
  const cells = [head, ...rows].map((r) => r.map(String));
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
