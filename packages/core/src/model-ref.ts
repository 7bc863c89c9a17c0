/**
 * A model reference: a .onnx file, or a folder laid out like a Hugging Face ONNX repo
 * (model.onnx or onnx/model.onnx, with config.json / tokenizer.json beside). hf: ids come with the
 * language-model issue.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRunContext } from './context.js';
import type { LoadedModel, RunContext } from './contracts.js';
import { isHubRef, resolveHubRef } from './hub/index.js';
import { OrtSessionFactory } from './session/factory.js';
import { sha256File } from './digest.js';
import { ErrorCodes, UserError } from './errors.js';

export interface ResolvedModelRef {
  readonly ref: string;
  readonly path: string;
  readonly dir?: string;
}

const CANDIDATES = ['model.onnx', join('onnx', 'model.onnx')];

/** A local path, or `hf:owner/name[@rev]` downloaded once into the cache (hub/download.ts). */
export async function resolveModelRef(ref: string, ctx?: RunContext): Promise<ResolvedModelRef> {
  if (isHubRef(ref)) {
    const { dir } = await resolveHubRef(ref, 'model', ctx ?? quietContext());
    return { ...resolveLocalModel(dir), ref };
  }
  return resolveLocalModel(ref);
}

function resolveLocalModel(ref: string): ResolvedModelRef {
  const abs = resolve(ref);
  if (!existsSync(abs)) throw new UserError(ErrorCodes.FILE_NOT_FOUND, `model not found: ${ref}`, { hint: 'pass a .onnx file or a folder that holds model.onnx' });
  const st = statSync(abs);
  if (st.isDirectory()) {
    for (const c of CANDIDATES) {
      const p = join(abs, c);
      if (existsSync(p) && statSync(p).isFile()) return { ref, path: p, dir: abs };
    }
    throw new UserError(ErrorCodes.NO_MODEL_IN_DIR, `no ONNX model in folder ${ref}`, { hint: `expected ${CANDIDATES.join(' or ')} inside it` });
  }
  const dir = dirname(abs);
  return { ref, path: abs, dir: existsSync(join(dir, 'config.json')) ? dir : undefined };
}

/** For callers without a context (inspect): downloads report nothing. */
function quietContext(): RunContext {
  return createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent', json: true });
}

/** Resolve a ref and read what evaluation needs (config.json, digest, size). */
export async function loadModelRef(ref: string, ctx?: RunContext): Promise<LoadedModel> {
  const r = await resolveModelRef(ref, ctx);
  let config: Record<string, unknown> | undefined;
  if (r.dir && existsSync(join(r.dir, 'config.json'))) {
    try {
      config = JSON.parse(readFileSync(join(r.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    } catch {
      throw new UserError(ErrorCodes.BAD_MODEL, `config.json in ${r.dir} is not valid JSON`);
    }
  }
  return { ref: r.ref, path: r.path, dir: r.dir, config, sha256: await sha256File(r.path), bytes: statSync(r.path).size };
}
