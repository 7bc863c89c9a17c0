/** @mc-kit/plugin-prune: magnitude, Wanda, SparseGPT, N:M and structured channel pruning for mc. */
export { default as register } from './register.js';
