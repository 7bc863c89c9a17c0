/** @mc-kit/plugin-llm-kick: LLM-KICK knowledge-intensive tasks (arXiv 2310.01382) for mc. */
export { default as register } from './register.js';
