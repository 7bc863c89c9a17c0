import { ErrorCodes, McError } from './errors.js';
import type { CalibrationSource } from './calibration/types.js';
import type { RunContext } from './contracts.js';
import { createLogger, createProgress, type ProgressMode } from './progress.js';
import { createRng } from './rng.js';
import type { SessionFactory } from './session/types.js';

export interface ContextOptions {
  json?: boolean;
  verbose?: boolean;
  seed?: number;
  sessions: SessionFactory;
  signal?: AbortSignal;
  /** force a progress mode (tests); default: spinner on a TTY, lines otherwise, silent under --json */
  progressMode?: ProgressMode;
  stream?: NodeJS.WriteStream;
  /** calibration data for data-aware methods (the CLI builds it from --calib-dataset) */
  calibration?: CalibrationSource;
}

export function createRunContext(options: ContextOptions): RunContext {
  const stream = options.stream ?? process.stderr;
  const mode: ProgressMode = options.progressMode ?? (options.json ? 'silent' : stream.isTTY ? 'spinner' : 'lines');
  return {
    log: createLogger({ quiet: !!options.json, verbose: !!options.verbose, stream }),
    progress: createProgress({ mode, stream }),
    rng: createRng(options.seed ?? 0),
    signal: options.signal ?? new AbortController().signal,
    sessions: options.sessions,
    calibration: options.calibration,
  };
}

/** Throw a clean E_ABORTED user error when Ctrl-C was pressed. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw new McError(ErrorCodes.ABORTED, 'interrupted', 130);
  }
}
