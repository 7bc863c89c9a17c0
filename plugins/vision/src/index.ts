/** @mc-kit/plugin-vision: the accuracy metric and the u8-images dataset provider. */
export { AccuracyMetric, ACCURACY_VERSION } from './metrics/accuracy.js';
export { TopKCounter, proportion, type TopKSums } from './metrics/topk.js';
export { U8ImagesDataset, combineFileDigests } from './datasets/u8-images.js';
export { parseU8ImageMeta, type U8ImageMeta, type PixelLayout } from './datasets/u8-meta.js';
export { hwcToChw } from './datasets/layout.js';
export { DEFAULT_SPEC, preprocess, resolvePreprocess, parseFloatList, type PreprocessSpec, type ResolvedSpec } from './preprocess.js';
export { default as register } from './register.js';
