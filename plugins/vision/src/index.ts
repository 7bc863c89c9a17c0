/** @mc-kit/plugin-vision: the accuracy and dice metrics, the u8-images and u8-masks dataset providers. */
export { AccuracyMetric, ACCURACY_VERSION } from './metrics/accuracy.js';
export { TopKCounter, proportion, type TopKSums } from './metrics/topk.js';
export { U8ImagesDataset, combineFileDigests } from './datasets/u8-images.js';
export { DiceMetric, DICE_VERSION } from './metrics/dice.js';
export { DiceCounter, setDice, meanImageDice, type DiceSums } from './metrics/dice-counter.js';
export { U8MasksDataset } from './datasets/u8-masks.js';
export { parseU8MaskMeta, type U8MaskMeta } from './datasets/u8-mask-meta.js';
export { parseU8ImageMeta, type U8ImageMeta, type PixelLayout } from './datasets/u8-meta.js';
export { hwcToChw } from './datasets/layout.js';
export {
  DEFAULT_SPEC,
  preprocess,
  resolvePreprocess,
  parseFloatList,
  type PreprocessSpec,
  type ResolvedSpec,
} from './preprocess.js';
export { default as register } from './register.js';
