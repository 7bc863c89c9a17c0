/** @mc-kit/plugin-prune: magnitude, Wanda, SparseGPT, N:M and structured channel pruning for mc. */
export { default as register } from './register.js';
export { PruneCompressor } from './plugin.js';
export { PRUNE_PARAMS, pruneOptions, type PruneOptions } from './options.js';
export type { PruneTensorReport } from './report.js';
