/**
 * Versioned run results (STYLE.md §10): one JSON file per compress or eval run, with digests,
 * params, seeds, versions and timings, so any number can be traced back to what produced it.
 */
import { promises as fs } from 'node:fs';
import { assertCanCreateDir, makeDirs, writeFileExclusive } from './atomic-write.js';
import { randomUUID } from 'node:crypto';
import type { CompressReport, Invocation, MetricResult, MetricValue, RunContext } from './contracts.js';
import type { HoistReport } from './onnx/hoist-weights.js';
import type { DriftReport } from './probe/types.js';
import type { Params } from './params.js';
import { CORE_VERSION, RESULT_SCHEMA_VERSION } from './version.js';
import { ErrorCodes, UserError } from './errors.js';

export interface FileInfo {
  readonly ref?: string;
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface Versions {
  readonly mc: string;
  readonly node: string;
  readonly onnxruntime?: string;
  readonly plugins: Record<string, string>;
}

export interface ResultBase {
  readonly schema: 'mc.result';
  readonly schemaVersion: number;
  readonly createdAt: string;
  readonly model: FileInfo;
  readonly versions: Versions;
  /** the execution provider onnxruntime really ran on ('cpu' after --device auto fell back) */
  readonly device?: string;
  /** the command line as typed (process.argv.slice(2)), secrets redacted; absent when not run from the CLI */
  readonly argv?: readonly string[];
  /** shared by every result one invocation wrote (a sweep's compress and eval results, a multi-metric eval's files) */
  readonly run?: string;
  readonly seed: number;
  readonly timings: Record<string, number>;
}

export interface CompressResult extends ResultBase {
  readonly kind: 'compress';
  readonly output: FileInfo;
  readonly steps: readonly CompressReport[];
  /** weights found in Constant nodes or If/Loop/Scan bodies and made main-graph initializers before the first method (absent: none) */
  readonly hoistedWeights?: HoistReport;
  readonly bitsPerWeight?: number;
  /** float parameters of the source model, wherever they live (initializers, Constant nodes, If/Loop/Scan bodies: what mc inspect counts) */
  readonly parameters: number;
  /** what the file really costs: 8 x output bytes (external data included) / parameters of the source model */
  readonly fileBitsPerParameter?: number;
  /** input file bytes / output file bytes (external data included) */
  readonly sizeRatio: number;
  /** the compressed model's outputs against the dense model's on probe inputs */
  readonly drift: DriftReport;
}

export interface EvalResult extends ResultBase {
  readonly kind: 'eval';
  /** the reference model given with --baseline */
  readonly baseline?: FileInfo;
  /**
   * baselineValues: the same metric's values on the --baseline model, when eval ran it there too (a
   * --gate on `<metric>.delta` asks for it); `<metric>.<value>.delta` = values - baselineValues
   */
  readonly metric: MetricResult & { readonly params: Params; readonly baselineValues?: Record<string, MetricValue> };
  readonly dataset: {
    readonly ref: string;
    readonly provider: string;
    readonly kind: string;
    readonly digest: string;
    readonly size: number;
    readonly limit?: number;
  };
}

export type RunResult = CompressResult | EvalResult;

export function resultHeader(): Pick<ResultBase, 'schema' | 'schemaVersion' | 'createdAt'> & {
  versions: Omit<Versions, 'plugins' | 'onnxruntime'>;
} {
  return {
    schema: 'mc.result',
    schemaVersion: RESULT_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    versions: { mc: CORE_VERSION, node: process.version },
  };
}

/** Flags whose value is a secret, whatever the command (--token, --hf-token, --api-key, --password). */
const SECRET_FLAG = /^--?[\w-]*(token|secret|password|passwd|api-?key)[\w-]*$/i;
/**
 * A Hugging Face access token, or credentials inside a URL: https://user:pass@host, and Redis's
 * password-only form redis://:pass@host (mc sweep --queue, mc worker --queue).
 */
const SECRET_TEXT: readonly [RegExp, string][] = [
  [/\bhf_[A-Za-z0-9]{8,}/g, 'hf_***'],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]*:[^/@\s]+@/gi, '$1***@'],
];

/** The command line with every secret replaced by `***`: the value of a secret flag, tokens and URL passwords anywhere. */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    if (arg.startsWith('-') && eq > 0 && SECRET_FLAG.test(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq)}=***`);
    } else if (SECRET_FLAG.test(arg) && i + 1 < argv.length) {
      out.push(arg, '***');
      i++;
    } else {
      out.push(SECRET_TEXT.reduce((s, [re, by]) => s.replace(re, by), arg));
    }
  }
  return out;
}

/** One invocation of mc: its command line (redacted) and a fresh run id. */
export function createInvocation(argv: readonly string[]): Invocation {
  return { argv: redactArgv(argv), run: randomUUID() };
}

/**
 * What every result records about where and how it ran: the device onnxruntime really used (after
 * --device auto chose), the command line and the run id. `otherwise`: the device of the service's
 * own sessions when the context's factory made none (compress checks its output on CPU).
 */
export function runProvenance(ctx: RunContext, otherwise?: string): Pick<ResultBase, 'device' | 'argv' | 'run'> {
  const device = ctx.sessions.device ?? otherwise;
  return {
    ...(device ? { device } : {}),
    ...(ctx.invocation ? { argv: ctx.invocation.argv, run: ctx.invocation.run } : {}),
  };
}

/**
 * Check before any work that `dir` can take results (every existing part a folder, the deepest
 * writable), creating nothing: a bad --results fails in one line instead of after the model is written.
 */
export async function checkResultsDir(dir: string): Promise<void> {
  if (dir.trim() === '')
    throw new UserError(ErrorCodes.BAD_PARAM, '--results is empty', {
      hint: 'name a folder for the JSON results (default mc-results)',
    });
  await assertCanCreateDir(dir, `results to --results ${dir}`);
}

/**
 * Write one result under `dir` (created if missing); returns its path. The name is the kind, the
 * time and the model's sha256 prefix; a run that finds the name taken (parallel runs in the same
 * millisecond) adds its pid, and the file is linked into place, never renamed over another's.
 */
export async function writeResult(dir: string, result: RunResult): Promise<string> {
  await makeDirs(dir, 'results folder');
  const stamp = result.createdAt.replace(/[:.]/g, '-');
  const base = `${result.kind}-${stamp}-${result.model.sha256.slice(0, 8)}`;
  return writeFileExclusive(
    dir,
    (attempt) => (attempt === 0 ? `${base}.json` : `${base}-${process.pid}-${attempt}.json`),
    `${JSON.stringify(result, null, 2)}\n`,
  );
}

export async function readResult(path: string): Promise<RunResult> {
  const r = JSON.parse(await fs.readFile(path, 'utf8')) as RunResult;
  if (r.schema !== 'mc.result') throw new UserError(ErrorCodes.BAD_PARAM, `${path} is not an mc result file`);
  return r;
}
