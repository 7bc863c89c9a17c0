// Loaded with `node --import` into a process under measurement: at exit, writes that process's
// peak resident set size in kB to $MC_BENCH_RSS_FILE. VmHWM from /proc, not getrusage's maxrss:
// Linux carries maxrss across fork+exec, so a child spawned by a large parent would report the
// parent's peak.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.MC_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(file, hwm ? hwm[1] : String(process.resourceUsage().maxRSS));
  });
}
