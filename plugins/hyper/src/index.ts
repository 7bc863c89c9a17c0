/** @mc-kit/plugin-hyper: hyperfunction compression (arXiv 2409.00592) for mc. */
export { default as register } from './register.js';
