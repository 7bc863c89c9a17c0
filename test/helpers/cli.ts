/**
 * Drive bin/mc as a user would: a real subprocess, real files, exit codes and output streams.
 * Every model a successful run writes (compress, decompress, convert, sweep) is checked with
 * expectValidModel: the validator mc runs before writing, and a load in onnxruntime.
 */
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectValidModel } from '@mc-kit/core/testing';
import { captureRun } from './process.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(REPO, 'bin', 'mc');
export const SHARED = resolve(REPO, '../shared');
export const HAS_SHARED = existsSync(join(SHARED, 'models'));
export const EXAMPLES = join(REPO, 'examples');
export const BUILT = existsSync(join(REPO, 'packages/cli/dist/commands/compress.js'));

export interface McRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runMc(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<McRun> {
  const run = await captureRun(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  if (run.code === 0) await expectWrittenModelsValid(args, options.cwd ?? REPO);
  return run;
}

/** Commands that write models, and where (--out). */
const WRITES_MODELS = new Set(['compress', 'decompress', 'convert', 'sweep']);

/** The model files a successful run of `args` wrote: --out x.onnx, --out DIR/model.onnx, or every sweep point's. */
export function writtenModels(args: readonly string[], cwd: string): string[] {
  if (!WRITES_MODELS.has(args[0])) return [];
  const at = args.findIndex((a) => a === '--out' || a === '-o');
  const eq = args.find((a) => a.startsWith('--out='));
  const out = at >= 0 ? args[at + 1] : eq?.slice('--out='.length);
  if (!out) return [];
  const path = resolve(cwd, out);
  if (path.toLowerCase().endsWith('.onnx')) return [path];
  if (args[0] === 'sweep') {
    return readdirSync(path)
      .map((p) => join(path, p, 'model.onnx'))
      .filter((p) => existsSync(p) && statSync(p).isFile());
  }
  return [join(path, 'model.onnx')];
}

/** Every model a run wrote passes the validator and loads in onnxruntime. */
export async function expectWrittenModelsValid(args: readonly string[], cwd: string): Promise<void> {
  for (const model of writtenModels(args, cwd)) await expectValidModel(model);
}

export function tempDir(prefix = 'mc-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Files in a folder (temp files included), to prove nothing was left behind. */
export function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** stderr lines that are not empty. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim().length > 0);
}

/**
 * The bad-input contract (README): exit 2, one stderr line starting `Error: ` that matches `message`,
 * no stack trace, nothing on stdout, and the folder as it was (no output, no temp file, no results).
 */
export function expectOneLineRefusal(run: McRun, message: RegExp, dir: string, before: readonly string[]): void {
  expect(run.code).toBe(2);
  const errLines = lines(run.stderr);
  expect(errLines).toHaveLength(1);
  expect(errLines[0]).toMatch(/^Error: /);
  expect(errLines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stdout).toBe('');
  expect(filesIn(dir)).toEqual(before);
}

export function warnSkip(what: string): void {
  console.warn(`SKIPPED ${what}: ../shared (models and data) is not beside the repository`);
}
