/** Language-model runtime: tokenizer loading and the CausalLM adapter (the contracts are in types.ts). */
export { loadTokenizer, tokenizerDigest, type LoadedTokenizer } from './tokenizer.js';
export { loadCausalLM, contextLengthOf, type LoadedCausalLM } from './causal-lm.js';
export { appendLossHead, findLogitsOutput, LOSS_OUTPUT, LOSS_TARGETS, type LossHeadResult } from './loss-head.js';
export { nllFromLogits } from './nll.js';
export type { FinishReason, GenerateOptions, Generation, TextGenerator, GeneratorOptions } from './generate-types.js';
export { loadGenerator } from './generate.js';
