/**
 * The inputs of `mc report`: folders (every *.json directly inside that is an mc result; other JSON,
 * such as a sweep's summary.json, is passed over) and result files named one by one (which must be
 * results). A file that cannot be read or parsed is the user's: one line naming it, exit 2.
 */
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCodes, UserError } from '../errors.js';
import type { RunResult } from '../results.js';

export interface ReadResult {
  readonly path: string;
  readonly result: RunResult;
}

export async function readResultInputs(inputs: readonly string[]): Promise<ReadResult[]> {
  if (inputs.length === 0)
    throw new UserError(ErrorCodes.BAD_PARAM, 'no results folder or result file given', {
      hint: 'e.g. mc report mc-results',
    });
  const out: ReadResult[] = [];
  for (const input of inputs) {
    const path = resolve(input);
    const stat = await fs.stat(path).catch(() => undefined);
    if (!stat)
      throw new UserError(ErrorCodes.FILE_NOT_FOUND, `${input} does not exist`, {
        hint: 'name a results folder (--results of compress, eval and sweep; default mc-results) or result files',
      });
    if (stat.isDirectory()) {
      const names = (await fs.readdir(path)).filter((n) => n.endsWith('.json')).sort();
      for (const name of names) {
        const file = join(path, name);
        const parsed = await parseFile(file);
        if (isResultShaped(parsed, file)) out.push({ path: file, result: parsed });
      }
    } else if (stat.isFile()) {
      const parsed = await parseFile(path);
      if (!isResultShaped(parsed, path))
        throw new UserError(ErrorCodes.BAD_RESULT, `${input} is not an mc result file`, {
          hint: 'mc compress, eval and sweep write them under --results',
        });
      out.push({ path, result: parsed });
    } else {
      throw new UserError(ErrorCodes.BAD_RESULT, `${input} is neither a folder nor a file`);
    }
  }
  if (out.length === 0)
    throw new UserError(ErrorCodes.NO_RESULTS, `no mc result files in ${inputs.join(', ')}`, {
      hint: 'mc compress, eval and sweep write them under --results (default mc-results)',
    });
  return out;
}

async function parseFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(
      ErrorCodes.BAD_RESULT,
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UserError(ErrorCodes.BAD_RESULT, `${file} is not valid JSON (${(e as Error).message})`, {
      hint: 'a result cut short? remove it or name the good files one by one',
    });
  }
}

/**
 * true for an mc result with the fields the report reads, false for other JSON; an mc result
 * missing them (hand-edited, cut) fails here, naming the file, not deep inside the join.
 */
function isResultShaped(v: unknown, file: string): v is RunResult {
  const r = v as Partial<RunResult> | null;
  if (!r || typeof r !== 'object' || r.schema !== 'mc.result') return false;
  const ok =
    typeof r.model?.sha256 === 'string' &&
    (r.kind === 'compress'
      ? typeof r.output?.sha256 === 'string' && typeof r.output.bytes === 'number' && Array.isArray(r.steps)
      : r.kind === 'eval' &&
        typeof r.metric?.metric === 'string' &&
        typeof r.metric.values === 'object' &&
        r.metric.values !== null);
  if (!ok)
    throw new UserError(
      ErrorCodes.BAD_RESULT,
      `${file} is an mc result without the fields mc report reads (model, output, steps or metric)`,
      { hint: 'a hand-edited or damaged result: remove it or name the good files one by one' },
    );
  return true;
}
