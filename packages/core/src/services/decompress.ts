/**
 * decompress: undo each recorded step in reverse order with the method that wrote it, drop mc's
 * provenance metadata, and write a dense model (validated on save, loaded in onnxruntime before it
 * is renamed into place). A model mc did not compress is refused.
 */
import type { RunContext } from '../contracts.js';
import { throwIfAborted } from '../context.js';
import { sha256File } from '../digest.js';
import { ErrorCodes, UserError } from '../errors.js';
import { resolveModelRef } from '../model-ref.js';
import { OnnxModel } from '../onnx/model.js';
import type { Registry } from '../registry.js';
import { MC_META, parseSteps } from './compress.js';
import { verifyStagedLoads } from './output-checks.js';
import { planOutput, writeOutput } from './output-target.js';

export interface DecompressResult {
  readonly kind: 'decompress';
  readonly model: { ref: string; path: string; sha256: string };
  readonly output: { path: string; sha256: string; bytes: number };
  readonly undone: string[];
  readonly parameterCount: number;
  readonly timings: { totalS: number };
}

export async function decompressModel(
  registry: Registry,
  request: { model: string; out: string },
  ctx: RunContext,
): Promise<DecompressResult> {
  const t0 = performance.now();
  const source = await resolveModelRef(request.model, ctx);
  const target = await planOutput(request.out, source);
  try {
    const model = await OnnxModel.load(source.path);
    const steps = parseSteps(model.getMetadata(MC_META.steps));
    if (steps.length === 0) {
      throw new UserError(
        ErrorCodes.NOT_COMPRESSED,
        `${request.model} was not compressed by mc (no ${MC_META.steps} metadata)`,
        {
          hint: "mc decompress undoes what mc compress wrote; mc inspect shows a model's metadata",
        },
      );
    }
    // Resolve every method before touching the model, so a missing plugin fails cleanly.
    const compressors = steps.map((s) => registry.compressor(s.method));
    const undone: string[] = [];
    for (const c of [...compressors].reverse()) {
      if (c.decompress) {
        await c.decompress(model, ctx);
        undone.push(c.id);
      } else {
        ctx.log.info(`${c.id}: nothing to undo (its weights are already dense floats)`);
      }
    }
    for (const key of Object.values(MC_META)) model.setMetadata(key, '');
    removeEmptyMetadata(model);
    throwIfAborted(ctx.signal);
    const written = await writeOutput(target, model, source, {
      verify: (staged) => verifyStagedLoads(staged, 'decompressed', source.path),
    });
    return {
      kind: 'decompress',
      model: { ref: request.model, path: source.path, sha256: await sha256File(source.path) },
      output: { path: target.modelPath, sha256: await sha256File(target.modelPath), bytes: written.bytes },
      undone,
      parameterCount: model.parameterCount(),
      timings: { totalS: (performance.now() - t0) / 1000 },
    };
  } finally {
    await target.release();
  }
}

function removeEmptyMetadata(model: OnnxModel): void {
  const props = model.proto.metadataProps;
  if (!props) return;
  model.proto.metadataProps = props.filter((p) => p.value !== '');
}
