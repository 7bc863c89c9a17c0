/** Language-model runtime: tokenizer loading and the CausalLM adapter (the contracts are in types.ts). */
export { loadTokenizer, tokenizerDigest, type LoadedTokenizer } from './tokenizer.js';
export { loadCausalLM, contextLengthOf, type LoadedCausalLM } from './causal-lm.js';
export { appendLossHead, findLogitsOutput, LOSS_OUTPUT, LOSS_TARGETS, type LossHeadResult } from './loss-head.js';
export { nllFromLogits } from './nll.js';
export type { FinishReason, GenerateOptions, Generation, TextGenerator, GeneratorOptions } from './generate-types.js';
export { loadGenerator } from './generate.js';
export { loadKlPair, type KlPair, type KlPairOptions } from './kl-pair.js';
export { tokenKlFromLogits, type TokenKl } from './kl-math.js';
export {
  appendKlHead,
  cutAtLmHead,
  KL_CHUNK,
  KL_DENSE_HIDDEN,
  KL_OUTPUTS,
  type DenseHead,
  type KlHeadResult,
} from './kl-head.js';
