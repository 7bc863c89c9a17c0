/**
 * A sweep's --out: a new or empty folder, claimed with the output lock for the whole run, with the
 * dataset and --results checked beside it, so a bad path fails before any work.
 */
import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ErrorCodes, UserError } from '../errors.js';
import { isHubRef } from '../hub/parse-ref.js';
import { lockOutput } from '../output-lock.js';
import { checkResultsDir } from '../results.js';
import { assertWritableDir } from '../atomic-write.js';
import { assertFileOrFolder } from '../safe-paths.js';

export interface SweepOut {
  /** the absolute folder */
  readonly dir: string;
  /** make the folder (once the sweep is about to write into it) */
  create(): Promise<void>;
  /** after a failure: a folder this sweep made and left empty goes (finished points, each whole, stay) */
  removeIfEmpty(): void;
  release(): Promise<void>;
}

export async function openSweepOut(
  request: { readonly out: string; readonly results: string },
  dataset?: string,
  /** mc sweep --queue --resume: the folder a stopped coordinator's workers wrote points into is taken as it is */
  options: { readonly resume?: boolean } = {},
): Promise<SweepOut> {
  if (dataset !== undefined && !isHubRef(dataset))
    assertFileOrFolder(resolve(dataset), 'dataset', ErrorCodes.BAD_DATASET);
  await checkResultsDir(request.results);
  if (request.out.trim() === '')
    throw new UserError(ErrorCodes.BAD_PARAM, '--out is empty', {
      hint: "--out names a new folder for the points' models",
    });
  const dir = resolve(request.out);
  await assertWritableDir(dirname(dir), `--out ${request.out}`);
  const lock = await lockOutput(dir);
  const created = !existsSync(dir);
  if (!created && (!statSync(dir).isDirectory() || (readdirSync(dir).length > 0 && !options.resume))) {
    await lock.release();
    throw new UserError(ErrorCodes.UNWRITABLE, `--out ${request.out} already exists and is not an empty folder`, {
      hint: 'choose a new folder',
    });
  }
  return {
    dir,
    create: async () => {
      await mkdir(dir, { recursive: true });
    },
    removeIfEmpty: () => {
      if (created && existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
    },
    release: () => lock.release(),
  };
}
