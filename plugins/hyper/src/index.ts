/** @mc-kit/plugin-hyper: hyperfunction compression (arXiv 2409.00592) for mc. */
export { default as register } from './register.js';
/** The codec: encoder, decoder, codebook, packing, presets, --l auto and the --target-bpw planner. */
export * from './codec/index.js';
/** The compressor, its graph rewrite and its inverse. */
export { HyperCompressor, HYPER_PARAMS } from './plugin.js';
export { hyperCompressWeights } from './rewrite.js';
export { hyperDecompressWeights } from './decompress.js';
export { HYPER_META_KEY, readHyperMeta, type HyperMeta, type TensorRecord } from './onnx/metadata.js';
