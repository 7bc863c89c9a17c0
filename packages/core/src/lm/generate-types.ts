/**
 * The text-generation contract of core (issue 10): what the LLM-KICK tasks and any other generative
 * metric code against. The implementation is generate.ts (loadGenerator); tokenization is the
 * TextTokenizer of types.ts, so prompts are encoded exactly as the scoring path encodes them.
 *
 * A model for generation is a folder (or a LoadedModel whose `dir` is one) holding model.onnx,
 * tokenizer.json (+ tokenizer_config.json) and config.json. Two export layouts are accepted:
 *  - plain decoder (input_ids [+ attention_mask] [+ position_ids]): every step recomputes the whole
 *    sequence; prompts are batched right-padded (the causal mask keeps padding out of real positions);
 *  - "with-past" decoder (past_key_values.{i}.key/.value inputs, present.{i}.* outputs, the hub's
 *    text-generation-with-past layout, optionally merged with use_cache_branch): a KV cache, prompts
 *    batched left-padded with attention_mask and position_ids.
 */
import type { Rng } from '../contracts.js';
import type { TextTokenizer } from './types.js';

/** Why a sequence stopped. */
export type FinishReason = 'eos' | 'stop' | 'length';

export interface GenerateOptions {
  /** new tokens at most (the prompt is not counted) */
  readonly maxNewTokens: number;
  /** 0 (default) = greedy argmax; > 0 = sampling from softmax(logits / temperature) */
  readonly temperature?: number;
  /** sample among the topK most likely tokens only (transformers' do_sample default is 50); default: all */
  readonly topK?: number;
  /** seed of the sampler (default 0, as the LLM-KICK reference seeds torch); ignored when greedy */
  readonly seed?: number;
  /** a stream of one's own instead of `seed` (core's createRng; e.g. one stream shared over all prompts, as torch's is) */
  readonly rng?: Rng;
  /**
   * Stop strings, matched on the decoded new text: generation stops at the first occurrence and the
   * text is cut before it (the stop string is not part of `text`; `ids` keep the token that made it).
   */
  readonly stop?: readonly string[];
  /** stop when the tokenizer's EOS is generated (default true); the EOS is not in `ids` or `text` */
  readonly stopOnEos?: boolean;
  /** prompts per forward pass (default 8); 1 where the export cannot batch (said once through ctx.log) */
  readonly batchSize?: number;
  /**
   * Ids of the items, parallel to the prompts: a prompt that leaves no room for one new token in the
   * context is refused with a UserError (BAD_DATASET) naming its id, unless `onTooLong` says 'skip'.
   * A prompt that fits but not with all maxNewTokens generates until the context is full ('length').
   */
  readonly itemIds?: readonly string[];
  /** a prompt of promptTokens does not fit contextLength: 'skip' gives `skipped: true`, no new tokens, finish 'length' */
  readonly onTooLong?: (index: number, promptTokens: number, contextLength: number) => 'skip' | 'refuse';
  /** progress per finished prompt */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * eval --resume: generations of an earlier run, by prompt index. Batches are planned over all the
   * prompts as always; a batch whose every prompt is here is not run (its results are these), so the
   * batches that do run have the same companions and padding as in an uninterrupted run. Sampling
   * draws from one stream per prompt index (`seed`), so a resumed prompt draws what it would have;
   * a caller's shared `rng` cannot be resumed and is refused with `done`. A result whose promptIds
   * are not this prompt's tokens is not taken.
   */
  readonly done?: ReadonlyMap<number, Generation>;
  /** awaited after each batch that ran, with its prompts' results (e.g. to record them for --resume) */
  readonly onBatch?: (results: readonly { readonly index: number; readonly generation: Generation }[]) => Promise<void>;
}

/** One prompt's result. */
export interface Generation {
  /** the new text only (decoded new ids, cut at a stop string); the prompt is not repeated */
  readonly text: string;
  /** the prompt's token ids as fed (BOS included when the tokenizer adds one) */
  readonly promptIds: readonly number[];
  /** the new token ids (EOS excluded) */
  readonly ids: readonly number[];
  readonly finishReason: FinishReason;
  /** the prompt did not fit and onTooLong said 'skip' */
  readonly skipped?: boolean;
}

export interface TextGenerator {
  readonly tokenizer: TextTokenizer;
  /** the context length from config.json (n_positions / max_position_embeddings / n_ctx), if known */
  readonly contextLength?: number;
  /** whether this export carries a KV cache (past_key_values) */
  readonly cached: boolean;
  /** prompts per forward pass this export allows (1 when it cannot batch) */
  readonly maxBatch: number;
  /** tokens of a text as the prompt would be encoded (BOS included where the tokenizer adds one) */
  countTokens(text: string): number;
  /** generate for each prompt (text, or token ids as they are to be fed); results in prompt order */
  generate(prompts: readonly (string | readonly number[])[], options: GenerateOptions): Promise<Generation[]>;
  /**
   * The logits of the token after each prompt (one forward pass, no sampling), float32 [vocab] each:
   * one-token scoring, e.g. MMLU's single greedy token or the argmax among the answer letters.
   * Refuses a prompt longer than the context like generate() (itemIds).
   */
  nextTokenLogits(
    prompts: readonly (string | readonly number[])[],
    options?: { itemIds?: readonly string[] },
  ): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export interface GeneratorOptions {
  readonly intraOpThreads?: number;
  /** prefer full recomputation even when the export has a cache (bench / tests) */
  readonly noCache?: boolean;
}
