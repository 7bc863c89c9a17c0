/**
 * Where compress/decompress write. `--out x.onnx` is one file. Any other `--out` is a model folder:
 * `model.onnx` plus the source folder's companions (config.json, tokenizer files), so a compressed
 * language model can be evaluated straight away. Checked before any work; written after it, with
 * nothing left behind on failure.
 *
 * The whole output is first written into a staging folder beside the target (the model, its
 * external data file, the companions), checked there by `options.verify` (it loads in onnxruntime,
 * drift), and only then renamed into place: nothing a check refuses ever appears under the target's
 * name.
 */
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { assertNotInput, assertWritableDir, writeFileAtomic } from '../atomic-write.js';
import { externalDataFiles } from '../onnx/external-data.js';
import { ErrorCodes, UserError } from '../errors.js';
import type { ResolvedModelRef } from '../model-ref.js';
import type { OnnxModel } from '../onnx/model.js';

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
}

export async function planOutput(out: string, source: ResolvedModelRef, flag = '--out'): Promise<OutputTarget> {
  const abs = resolve(out);
  if (abs.toLowerCase().endsWith('.onnx')) {
    await assertNotInput(abs, [source.path]);
    await assertWritableDir(dirname(abs), `${flag} ${out}`);
    return { modelPath: abs, companions: [] };
  }
  if (existsSync(abs)) {
    const st = await fs.stat(abs);
    if (!st.isDirectory() || (await fs.readdir(abs)).length > 0) {
      throw new UserError(ErrorCodes.UNWRITABLE, `${flag} ${out} already exists; mc writes a model folder only where there is none (or an empty one)`, {
        hint: `choose a new folder, or a file name ending in .onnx`,
      });
    }
  }
  if (source.dir && resolve(source.dir) === abs) throw new UserError(ErrorCodes.OUT_IS_INPUT, `${flag} ${out} is the input model's folder; mc never overwrites its input`);
  await assertWritableDir(dirname(abs), `${flag} ${out}`);
  const companions = source.dir ? COMPANION_FILES.filter((f) => existsSync(join(source.dir!, f))) : [];
  return { modelPath: join(abs, 'model.onnx'), folder: abs, companions };
}

export interface WriteOptions {
  /**
   * Called with the staged model's path once every file of the output is written under its
   * temporary name, before the rename that makes it visible; if it throws, nothing is left behind.
   */
  readonly verify?: (stagedModelPath: string) => Promise<void>;
}

/** Save the model (and the companions of a folder target) through a staging folder; see the file comment. */
export async function writeOutput(target: OutputTarget, model: OnnxModel, source: ResolvedModelRef, options: WriteOptions = {}): Promise<{ bytes: number }> {
  const final = target.folder ?? target.modelPath;
  const stage = await fs.mkdtemp(join(dirname(final), `.${basename(final)}.`));
  try {
    const stagedModel = join(stage, target.folder ? 'model.onnx' : basename(target.modelPath));
    const written = await model.save(stagedModel, { inputPath: source.path });
    for (const f of target.companions) await writeFileAtomic(join(stage, f), await fs.readFile(join(source.dir!, f)));
    await options.verify?.(stagedModel);
    if (target.folder) {
      // an empty folder the user made is replaced; rename() does that in one step on POSIX
      await fs.rename(stage, target.folder);
    } else {
      if (written.externalDataPath) {
        const data = `${target.modelPath}.data`;
        await assertNotInput(data, [source.path, ...externalDataFiles(model.proto, model.baseDir)]);
        await fs.rename(written.externalDataPath, data);
      }
      await fs.rename(stagedModel, target.modelPath);
      await fs.rm(stage, { recursive: true, force: true });
    }
    return { bytes: written.bytes };
  } catch (e) {
    await fs.rm(stage, { recursive: true, force: true });
    throw e;
  }
}

export function describeTarget(target: OutputTarget): string {
  return target.folder ? `${target.folder} (model.onnx${target.companions.length ? ` + ${target.companions.join(', ')}` : ''})` : basename(target.modelPath);
}
