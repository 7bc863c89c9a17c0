/** @mc-kit/plugin-lm: bits per character, perplexity, KL divergence from the dense model, and text datasets. */
export { BpcMetric, BPC_PARAMS } from './metrics/bpc.js';
export { KldMetric, KLD_PARAMS } from './metrics/kld.js';
export {
  addToken,
  emptyKldSums,
  kldValues,
  meanAndUncertainty,
  mergeKldSums,
  percentile,
  type KldSums,
} from './metrics/kld-stats.js';
export { PerplexityMetric, PERPLEXITY_PARAMS } from './metrics/perplexity.js';
export { classicChunks, slidingWindows, stridedWindows, type Window, type WindowPlan } from './metrics/windows.js';
export { codePoints, streamJoined, streamPerRecord, type TokenStream } from './metrics/text-stream.js';
export * from './datasets/index.js';
