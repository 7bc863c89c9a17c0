/**
 * Where compress/decompress write. `--out x.onnx` is one file. Any other `--out` is a model folder:
 * `model.onnx` plus the source folder's companions (config.json, tokenizer files), so a compressed
 * language model can be evaluated straight away.
 *
 * Checked and locked before any work (planOutput): the second run on the same --out is refused naming
 * the first (output-lock.ts). Written after it (writeOutput) under a staging folder beside the target,
 * `.NAME.mc-stage-<pid>-<random>`, then made visible by rename: the whole folder in one rename, or
 * for a .onnx file its external data first and the model last. So the target is either absent or
 * complete, whatever happens; a staging folder a SIGKILL left behind is removed by the next run on the
 * same target.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { assertNotInput, assertWritableDir } from '../atomic-write.js';
import { ErrorCodes, UserError } from '../errors.js';
import type { ResolvedModelRef } from '../model-ref.js';
import { externalDataFiles } from '../onnx/external-data.js';
import type { OnnxModel } from '../onnx/model.js';
import { lockOutput } from '../output-lock.js';
import { regularFileInside } from '../safe-paths.js';
import { pidAlive, trackTemp, untrackTemp } from '../temp-paths.js';

/** Files a Hugging Face ONNX repo keeps beside the model that evaluation reads. */
export const COMPANION_FILES = Object.freeze([
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'preprocessor_config.json',
]);

export interface OutputTarget {
  readonly modelPath: string;
  /** set when --out is a folder */
  readonly folder?: string;
  readonly companions: readonly string[];
  /** Give up the target's lock (after writeOutput, or when the run fails). */
  release(): Promise<void>;
}

export interface WriteOutputOptions {
  /**
   * Called with the staged model's path once every file of the output is written under its temporary
   * name, before the rename that makes it visible; if it throws, nothing is left behind.
   */
  readonly verify?: (stagedModelPath: string) => Promise<void>;
}

const STAGE_MARK = '.mc-stage-';

export async function planOutput(out: string, source: ResolvedModelRef, flag = '--out'): Promise<OutputTarget> {
  if (out.trim() === '')
    throw new UserError(ErrorCodes.BAD_PARAM, `${flag} is empty`, {
      hint: `${flag} takes a .onnx file name or a new folder`,
    });
  const abs = resolve(out);
  const file = abs.toLowerCase().endsWith('.onnx');
  if (file) await assertNotInput(abs, [source.path]);
  else if (source.dir && resolve(source.dir) === abs)
    throw new UserError(
      ErrorCodes.OUT_IS_INPUT,
      `${flag} ${out} is the input model's folder; mc never overwrites its input`,
    );
  await assertWritableDir(dirname(abs), `${flag} ${out}`);
  const lock = await lockOutput(abs, flag);
  try {
    // checked under the lock: a run that held it may just have written the target
    await assertTargetFree(abs, out, flag, file);
    await removeStaleStaging(abs);
  } catch (e) {
    await lock.release();
    throw e;
  }
  if (file) return { modelPath: abs, companions: [], release: lock.release };
  const companions = source.dir ? COMPANION_FILES.filter((f) => existsSync(join(source.dir!, f))) : [];
  return { modelPath: join(abs, 'model.onnx'), folder: abs, companions, release: lock.release };
}

/** A file target may replace an existing file (never a folder); a folder target must be new (or an empty folder). */
async function assertTargetFree(abs: string, out: string, flag: string, file: boolean): Promise<void> {
  const st = await fs.lstat(abs).catch(() => undefined);
  if (!st) return;
  if (file) {
    if (!st.isFile() && !st.isSymbolicLink()) {
      throw new UserError(
        ErrorCodes.UNWRITABLE,
        `${flag} ${out} exists and is ${st.isDirectory() ? 'a folder' : 'not a regular file'}; a .onnx output must be a file`,
        {
          hint: 'choose another file name, or a folder name without .onnx',
        },
      );
    }
    return;
  }
  if (!st.isDirectory() || (await fs.readdir(abs)).length > 0) {
    throw new UserError(
      ErrorCodes.UNWRITABLE,
      `${flag} ${out} already exists; mc writes a model folder only where there is none (or an empty one)`,
      {
        hint: 'choose a new folder, or a file name ending in .onnx',
      },
    );
  }
}

function stagingPathFor(abs: string): string {
  return join(dirname(abs), `.${basename(abs)}${STAGE_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Staging folders of this target left by runs that no longer exist (a SIGKILL), and their temp files.
 * Only called under the target's lock, so no live run is staging this target.
 */
async function removeStaleStaging(abs: string): Promise<void> {
  const prefix = `.${basename(abs)}`;
  const names = await fs.readdir(dirname(abs)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const pid = rest.startsWith(STAGE_MARK)
      ? Number(rest.slice(STAGE_MARK.length).split('-')[0])
      : /^\.(\d+)-[0-9a-f]+\.tmp$/.exec(rest)?.[1];
    if (pid !== undefined && !pidAlive(Number(pid)))
      await fs.rm(join(dirname(abs), name), { recursive: true, force: true });
  }
}

/** Save the model (and the companions of a folder target) under a staging folder, verify it, then make it visible. */
export async function writeOutput(
  target: OutputTarget,
  model: OnnxModel,
  source: ResolvedModelRef,
  options: WriteOutputOptions = {},
): Promise<{ bytes: number }> {
  const finalPath = target.folder ?? target.modelPath;
  const stage = stagingPathFor(finalPath);
  await fs.mkdir(stage);
  trackTemp(stage);
  try {
    const stagedModel = join(stage, basename(target.modelPath));
    const written = await model.save(stagedModel, { inputPath: source.path });
    for (const f of target.companions)
      await fs.copyFile(
        regularFileInside(source.dir!, f, `companion file of ${source.ref}`, ErrorCodes.BAD_MODEL),
        join(stage, f),
      );
    await options.verify?.(stagedModel);
    if (target.folder) await commitFolder(stage, target.folder);
    else
      await commitFiles(stage, dirname(target.modelPath), basename(target.modelPath), [
        source.path,
        ...externalDataFiles(model.proto, model.baseDir),
      ]);
    return { bytes: written.bytes };
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
    untrackTemp(stage);
  }
}

async function commitFolder(stage: string, folder: string): Promise<void> {
  await fs.rename(stage, folder).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOTEMPTY' || e.code === 'EEXIST' || e.code === 'ENOTDIR') {
      throw new UserError(
        ErrorCodes.UNWRITABLE,
        `--out ${folder} appeared while mc was working; nothing was written there`,
        { hint: 'choose a new folder' },
      );
    }
    throw e;
  });
}

/** The model's data file(s) first, the model last: a visible model never points at missing data. */
async function commitFiles(stage: string, dir: string, modelName: string, inputs: readonly string[]): Promise<void> {
  const names = (await fs.readdir(stage)).sort((a, b) => Number(a === modelName) - Number(b === modelName));
  for (const name of names) await assertNotInput(join(dir, name), inputs);
  for (const name of names) await fs.rename(join(stage, name), join(dir, name));
}

export function describeTarget(target: OutputTarget): string {
  return target.folder
    ? `${target.folder} (model.onnx${target.companions.length ? ` + ${target.companions.join(', ')}` : ''})`
    : basename(target.modelPath);
}
