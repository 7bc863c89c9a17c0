/**
 * A model reference: a .onnx file, or a folder laid out like a Hugging Face ONNX repo
 * (model.onnx or onnx/model.onnx, with config.json / tokenizer.json beside). hf: ids come with the
 * language-model issue.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRunContext } from './context.js';
import type { LoadedModel, RunContext } from './contracts.js';
import { isHubRef, resolveHubRef } from './hub/index.js';
import { OrtSessionFactory } from './session/factory.js';
import { sha256File } from './digest.js';
import { ErrorCodes, UserError } from './errors.js';
import { readModelConfig } from './model-config.js';
import { assertRegularFile } from './safe-paths.js';

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
  if (!existsSync(abs))
    throw new UserError(ErrorCodes.FILE_NOT_FOUND, `model not found: ${ref}`, {
      hint: 'pass a .onnx file or a folder that holds model.onnx',
    });
  const st = statSync(abs);
  if (st.isDirectory()) {
    for (const c of CANDIDATES) {
      const p = join(abs, c);
      if (!existsSync(p)) continue;
      assertRegularFile(p, 'model', ErrorCodes.NOT_ONNX);
      return { ref, path: p, dir: abs };
    }
    throw new UserError(ErrorCodes.NO_MODEL_IN_DIR, `no ONNX model in folder ${ref}`, {
      hint: `expected ${CANDIDATES.join(' or ')} inside it`,
    });
  }
  // a FIFO or a device would block or never end: regular files only
  assertRegularFile(abs, 'model', ErrorCodes.NOT_ONNX);
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
  const config = r.dir ? readModelConfig(r.dir) : undefined;
  return {
    ref: r.ref,
    path: r.path,
    dir: r.dir,
    config,
    sha256: await sha256File(r.path),
    bytes: statSync(r.path).size,
  };
}
