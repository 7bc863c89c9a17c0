/** What the package exports for other code and tests; mc itself only reads the register hook. */
export { RoundWeightsCompressor, ROUND_WEIGHTS_PARAMS, selectWeights } from './plugin.js';
export { roundMantissa, maxRelativeChange } from './math.js';
export { default as register } from './register.js';
