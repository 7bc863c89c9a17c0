/**
 * Progress for long work: an ora spinner with counts, rate and ETA on a TTY; plain lines (at most
 * one every few seconds, plus the final one) when not a TTY; nothing at all under --json.
 */
import type { Logger, Progress, ProgressTask } from './contracts.js';

export type ProgressMode = 'spinner' | 'lines' | 'silent';

export interface ProgressOptions {
  mode: ProgressMode;
  stream?: NodeJS.WriteStream;
  /** min ms between plain lines */
  lineIntervalMs?: number;
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** "label 120/2000 (6%) 300/s ETA 6.3s" */
export function describeProgress(label: string, done: number, total: number | undefined, elapsedS: number): string {
  const rate = elapsedS > 0 ? done / elapsedS : 0;
  if (total === undefined || total <= 0)
    return `${label} ${done}${rate ? ` (${rate.toFixed(rate < 10 ? 1 : 0)}/s)` : ''}`;
  const pct = Math.floor((100 * done) / total);
  const eta = rate > 0 ? formatDuration((total - done) / rate) : '?';
  return `${label} ${done}/${total} (${pct}%) ETA ${eta}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const interval = options.lineIntervalMs ?? 5000;
  return {
    start(label: string, total?: number): ProgressTask {
      let done = 0;
      let current = label;
      const t0 = now();
      let lastLine = t0;
      const elapsed = () => (now() - t0) / 1000;
      const text = () => describeProgress(current, done, total, elapsed());
      if (options.mode === 'silent') {
        return { tick: (n = 1) => void (done += n), update: (l) => void (current = l), done: () => {}, fail: () => {} };
      }
      if (options.mode === 'lines') {
        return {
          tick(n = 1) {
            done += n;
            if (now() - lastLine >= interval) {
              lastLine = now();
              stream.write(`${text()}\n`);
            }
          },
          update(l) {
            current = l;
          },
          done(summary) {
            stream.write(`${summary ?? `${label}: done`} (${formatDuration(elapsed())})\n`);
          },
          fail(summary) {
            stream.write(`${summary ?? `${label}: failed`}\n`);
          },
        };
      }
      return spinnerTask(
        stream,
        label,
        text,
        elapsed,
        (n) => (done += n),
        (l) => (current = l),
      );
    },
  };
}

type OraFactory = typeof import('ora').default;
let oraFactory: OraFactory | undefined;
/** ora is ESM-only and loaded on first use; preloadSpinner() is awaited by the CLI before work starts. */
export async function preloadSpinner(): Promise<void> {
  oraFactory ??= (await import('ora')).default;
}

function spinnerTask(
  stream: NodeJS.WriteStream,
  label: string,
  text: () => string,
  elapsed: () => number,
  add: (n: number) => void,
  setLabel: (l: string) => void,
): ProgressTask {
  if (!oraFactory) {
    // Not preloaded (library use): degrade to lines rather than block.
    return createProgress({ mode: 'lines', stream }).start(label);
  }
  const spinner = oraFactory({ text: label, stream, discardStdin: false }).start();
  let last = 0;
  const refresh = () => {
    const t = performance.now();
    if (t - last > 80) {
      last = t;
      spinner.text = text();
    }
  };
  return {
    tick(n = 1) {
      add(n);
      refresh();
    },
    update(l) {
      setLabel(l);
      refresh();
    },
    done(summary) {
      spinner.succeed(`${summary ?? label} (${formatDuration(elapsed())})`);
    },
    fail(summary) {
      spinner.fail(summary ?? label);
    },
  };
}

export function createLogger(options: { quiet: boolean; verbose: boolean; stream?: NodeJS.WriteStream }): Logger {
  const stream = options.stream ?? process.stderr;
  return {
    info: (m) => {
      if (!options.quiet) stream.write(`${m}\n`);
    },
    warn: (m) => stream.write(`warning: ${m}\n`),
    debug: (m) => {
      if (options.verbose) stream.write(`debug: ${m}\n`);
    },
  };
}
