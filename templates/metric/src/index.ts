/** What the package exports for other code and tests; mc itself only reads the register hook. */
export { CrossEntropyMetric, CROSS_ENTROPY_PARAMS, CROSS_ENTROPY_VERSION } from './plugin.js';
export { addRows, emptySums, meanNll, mergeSums, nllOfRow, type NllSums } from './math.js';
export { default as register } from './register.js';
