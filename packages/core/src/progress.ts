/**
 * Progress for long work: an ora spinner with counts, rate and ETA on a TTY, one live line shared
 * with the run's notes (spinner-line.ts); plain lines (at most one every few seconds, plus the
 * final one, for every task, nested ones included) when not a TTY; nothing at all under --json.
 */
import type { Logger, Progress, ProgressTask } from './contracts.js';
import { SpinnerLine, type LineWriter, type SpinnerFactory } from './spinner-line.js';

export type ProgressMode = 'spinner' | 'lines' | 'silent';

export interface ProgressOptions {
  mode: ProgressMode;
  stream?: NodeJS.WriteStream;
  /** min ms between plain lines */
  lineIntervalMs?: number;
  now?: () => number;
  /** the run's live line (createLineWriter), shared with its logger; spinner mode needs one */
  line?: LineWriter;
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
      // Not preloaded (library use): degrade to lines rather than block.
      if (!(options.line instanceof SpinnerLine))
        return createProgress({ ...options, mode: 'lines' }).start(label, total);
      return spinnerTask(
        options.line,
        label,
        text,
        elapsed,
        (n) => (done += n),
        (l) => (current = l),
      );
    },
  };
}

let oraFactory: SpinnerFactory | undefined;
/** ora is ESM-only and loaded on first use; preloadSpinner() is awaited by the CLI before work starts. */
export async function preloadSpinner(): Promise<void> {
  oraFactory ??= (await import('ora')).default;
}

/**
 * The writer of notes and the spinner line a run's progress and logger share (createRunContext):
 * on a terminal with ora loaded, one live line; otherwise plain writes.
 */
export function createLineWriter(stream: NodeJS.WriteStream, mode: ProgressMode, factory = oraFactory): LineWriter {
  if (mode === 'spinner' && factory) return new SpinnerLine(stream, factory);
  return { print: (text) => void stream.write(`${text}\n`) };
}

function spinnerTask(
  line: SpinnerLine,
  label: string,
  text: () => string,
  elapsed: () => number,
  add: (n: number) => void,
  setLabel: (l: string) => void,
): ProgressTask {
  const task = { text };
  line.push(task);
  let last = 0;
  const refresh = () => {
    const t = performance.now();
    if (t - last > 80) {
      last = t;
      line.refresh(task);
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
      line.succeed(task, `${summary ?? label} (${formatDuration(elapsed())})`);
    },
    fail(summary) {
      line.fail(task, summary ?? label);
    },
  };
}

export function createLogger(options: {
  quiet: boolean;
  verbose: boolean;
  stream?: NodeJS.WriteStream;
  /** the run's live line: notes are written above its spinner, never into it */
  line?: LineWriter;
}): Logger {
  const stream = options.stream ?? process.stderr;
  const line = options.line ?? createLineWriter(stream, 'lines');
  return {
    info: (m) => {
      if (!options.quiet) line.print(m);
    },
    warn: (m) => line.print(`warning: ${m}`),
    debug: (m) => {
      if (options.verbose) line.print(`debug: ${m}`);
    },
  };
}
