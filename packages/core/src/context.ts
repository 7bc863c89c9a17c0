import { ErrorCodes, McError } from './errors.js';
import type { CalibrationSource } from './calibration/types.js';
import type { Invocation, RunContext } from './contracts.js';
import { createLineWriter, createLogger, createProgress, type ProgressMode } from './progress.js';
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
  /** the CLI's command line and run id, stamped on results */
  invocation?: Invocation;
}

export function createRunContext(options: ContextOptions): RunContext {
  const stream = options.stream ?? process.stderr;
  const mode: ProgressMode = options.progressMode ?? (options.json ? 'silent' : stream.isTTY ? 'spinner' : 'lines');
  // one live line for the progress and the notes of this run: a note never lands inside the spinner's line
  const line = createLineWriter(stream, mode);
  return {
    log: createLogger({ quiet: !!options.json, verbose: !!options.verbose, stream, line }),
    progress: createProgress({ mode, stream, line }),
    rng: createRng(options.seed ?? 0),
    signal: options.signal ?? new AbortController().signal,
    sessions: options.sessions,
    calibration: options.calibration,
    ...(options.invocation ? { invocation: options.invocation } : {}),
  };
}

/** Why a run was aborted: the signal that stopped it, and the exit code a shell expects (128 + its number). */
export interface AbortReason {
  readonly signal: string;
  readonly exitCode: number;
}

/** Throw a clean E_ABORTED error when the run was interrupted (Ctrl-C, SIGTERM, SIGHUP). */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    const reason = signal.reason as Partial<AbortReason> | undefined;
    const by = typeof reason?.signal === 'string' && reason.signal !== 'SIGINT' ? ` by ${reason.signal}` : '';
    throw new McError(
      ErrorCodes.ABORTED,
      `interrupted${by}`,
      typeof reason?.exitCode === 'number' ? reason.exitCode : 130,
    );
  }
}
