/**
 * Where compress/decompress write. `--out x.onnx` is one file. Any other `--out` is a model folder:
 * `model.onnx` plus the source folder's companions (config.json, tokenizer files), so a compressed
 * language model can be evaluated straight away. Checked before any work; written after it, with
 * nothing left behind on failure.
 */
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { assertNotInput, assertWritableDir, writeFileAtomic } from '../atomic-write.js';
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

/** Save the model (and the companions of a folder target); a folder this call created is removed on failure. */
export async function writeOutput(target: OutputTarget, model: OnnxModel, source: ResolvedModelRef): Promise<{ bytes: number }> {
  const created = target.folder !== undefined && !existsSync(target.folder);
  try {
    if (target.folder) await fs.mkdir(target.folder, { recursive: true });
    const written = await model.save(target.modelPath, { inputPath: source.path });
    for (const f of target.companions) await writeFileAtomic(join(target.folder!, f), await fs.readFile(join(source.dir!, f)));
    return { bytes: written.bytes };
  } catch (e) {
    if (created) await fs.rm(target.folder!, { recursive: true, force: true });
    throw e;
  }
}

export function describeTarget(target: OutputTarget): string {
  return target.folder ? `${target.folder} (model.onnx${target.companions.length ? ` + ${target.companions.join(', ')}` : ''})` : basename(target.modelPath);
}
