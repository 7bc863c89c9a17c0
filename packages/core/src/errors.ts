/**
 * One error type for everything mc reports. Errors are recognised by their `code` field, never by
 * `instanceof`: a community plugin may carry its own copy of @mc-kit/core, and a class from that
 * copy is a different class (see DESIGN.md, "Plugins live in other package trees").
 *
 * Two families:
 *  - user mistakes (bad input, missing files, out-of-range flags): exit code 2, one line + hint;
 *  - our bugs (an invariant that broke): exit code 1, and the stack is worth showing.
 */
export interface McErrorShape {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly exitCode: number;
  readonly isMcError: true;
}

export interface McErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class McError extends Error implements McErrorShape {
  readonly isMcError = true as const;
  readonly hint?: string;
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
    options: McErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'McError';
    this.hint = options.hint;
  }
}

/** A user's mistake: one readable line, a hint, exit code 2. */
export class UserError extends McError {
  constructor(code: string, message: string, options: McErrorOptions = {}) {
    super(code, message, 2, options);
    this.name = 'UserError';
  }
}

/** Our bug: an invariant broke. Exit code 1. */
export class BugError extends McError {
  constructor(message: string, options: McErrorOptions = {}) {
    super('E_BUG', message, 1, options);
    this.name = 'BugError';
  }
}

/** Structural check that works across package copies. */
export function isMcError(e: unknown): e is McErrorShape {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { isMcError?: unknown }).isMcError === true &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}

export function isUserError(e: unknown): e is McErrorShape {
  return isMcError(e) && e.exitCode === 2;
}

/** Stable error codes, so scripts and tests can match on them. */
export const ErrorCodes = Object.freeze({
  FILE_NOT_FOUND: 'E_FILE_NOT_FOUND',
  NO_MODEL_IN_DIR: 'E_NO_MODEL_IN_DIR',
  NOT_ONNX: 'E_NOT_ONNX',
  TRUNCATED_ONNX: 'E_TRUNCATED_ONNX',
  UNKNOWN_ID: 'E_UNKNOWN_ID',
  DUPLICATE_ID: 'E_DUPLICATE_ID',
  WRONG_DATASET_KIND: 'E_WRONG_DATASET_KIND',
  BAD_PARAM: 'E_BAD_PARAM',
  OUT_IS_INPUT: 'E_OUT_IS_INPUT',
  UNWRITABLE: 'E_UNWRITABLE',
  BAD_DATASET: 'E_BAD_DATASET',
  DEVICE_UNAVAILABLE: 'E_DEVICE_UNAVAILABLE',
  NOTHING_TO_COMPRESS: 'E_NOTHING_TO_COMPRESS',
  NOT_COMPRESSED: 'E_NOT_COMPRESSED',
  BAD_MODEL: 'E_BAD_MODEL',
  UNSUPPORTED: 'E_UNSUPPORTED',
  PLUGIN_LOAD: 'E_PLUGIN_LOAD',
  TARGET_EXISTS: 'E_TARGET_EXISTS',
  REGISTRY: 'E_REGISTRY',
  PLUGIN_INSTALL: 'E_PLUGIN_INSTALL',
  PLUGIN_INCOMPATIBLE: 'E_PLUGIN_INCOMPATIBLE',
  ABORTED: 'E_ABORTED',
  OUTPUT_LOCKED: 'E_OUTPUT_LOCKED',
  /** the model breaks ONNX's structural rules (onnx/validate names the check) */
  INVALID_MODEL: 'E_INVALID_MODEL',
  /** mc report: a result file that cannot be read, or is not an mc result */
  BAD_RESULT: 'E_BAD_RESULT',
  /** mc report: no result files where the user pointed */
  NO_RESULTS: 'E_NO_RESULTS',
  /** a --gate failed (exit 3): not a mistake, the answer the user asked for */
  GATE_FAILED: 'E_GATE_FAILED',
  /** mc sweep --queue, mc worker: the Redis server cannot be reached, or refused the credentials */
  QUEUE_UNREACHABLE: 'E_QUEUE_UNREACHABLE',
  /** mc worker: a job of a kind mc does not run, or whose data is not what that kind takes */
  BAD_JOB: 'E_BAD_JOB',
} as const);

/** One of ErrorCodes' values. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
