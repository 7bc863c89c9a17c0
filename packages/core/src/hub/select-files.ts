/**
 * Which files of a hub repo to fetch. Model repos often carry the same weights several times over
 * (PyTorch, safetensors, Flax, TF, and many ONNX variants: model_fp16.onnx, model_q4.onnx, ...);
 * mc only runs ONNX, so everything else would be gigabytes downloaded for nothing.
 */
export type HubKind = 'model' | 'dataset';

/** Weights in formats mc never reads, skipped for both kinds. */
const WEIGHT_LIKE = /\.(safetensors|bin|msgpack|h5|pt|pth|ckpt|gguf|ot)$/i;
/** An ONNX graph or its external data: model.onnx, model.onnx_data, model.onnx_data_1, model.onnx.data. */
const ONNX_FILE = /^(.*)\.onnx(?:_data(?:_\d+)?|\.data)?$/;
/** Everything else a model folder needs: configs, tokenizers, vocabularies. */
const MODEL_SIDE = /(\.json|\.txt|\.data|(^|\/)tokenizer\.model)$/;
/** Where resolveModelRef looks for the model, in order. */
const CANONICAL = ['model.onnx', 'onnx/model.onnx'];

/**
 * The default file choice for a repo listing. For a model: ONNX files, configs and tokenizers; when
 * the repo holds the canonical model.onnx (or onnx/model.onnx), the other ONNX variants and their
 * external data are left out too, as resolveModelRef would never pick them.
 */
export function defaultFileFilter(kind: HubKind, paths: readonly string[]): (path: string) => boolean {
  if (kind === 'dataset') return (p) => !WEIGHT_LIKE.test(p);
  const canonical = CANONICAL.find((c) => paths.includes(c));
  const keepStem = canonical === undefined ? undefined : canonical.slice(0, -'.onnx'.length);
  return (p) => {
    if (WEIGHT_LIKE.test(p)) return false;
    const onnx = ONNX_FILE.exec(p);
    if (onnx) return keepStem === undefined || onnx[1] === keepStem;
    return MODEL_SIDE.test(p);
  };
}
