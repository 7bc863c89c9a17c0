/**
 * Language-model contracts in core: a tokenizer loaded from tokenizer.json, and a causal LM adapter
 * that returns one NLL per target token (a loss head appended to the graph) instead of logits.
 */

export interface TextTokenizer {
  /** sha256 over tokenizer.json (+ tokenizer_config.json when present) */
  readonly digest: string;
  readonly vocabSize: number;
  readonly bosId?: number;
  readonly eosId?: number;
  /** does encode() add a BOS (per the tokenizer's post-processor / add_bos_token)? */
  readonly addsBos: boolean;
  /**
   * Token ids of `text` as HF's `tokenizer.encode(text)` gives them (add_special_tokens=True): a BOS
   * where the tokenizer adds one, never an EOS (spec bpc-perplexity A.3 step 3).
   */
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

/** A batch of equal-length windows: ids[b * length + t]. */
export interface TokenWindows {
  readonly batch: number;
  readonly length: number;
  /** model input ids, [batch, length] */
  readonly inputs: Int32Array;
  /** next-token targets, [batch, length]: targets[b,t] = the token after inputs[b,t] */
  readonly targets: Int32Array;
}

export type LossHead = 'fused' | 'logits';

export interface CausalLMOptions {
  /** 'fused' (default): the graph returns NLL per token; 'logits': logits come back and log-softmax runs in JS (tests, bench) */
  readonly lossHead?: LossHead;
  readonly intraOpThreads?: number;
}

export interface CausalLM {
  /** context length from config.json (n_positions / max_position_embeddings / n_ctx), if known */
  readonly contextLength?: number;
  readonly vocabSize: number;
  /** the model's input names, as found */
  readonly inputs: readonly string[];
  /** NLL in nats of every target given its prefix, float32 [batch * length] */
  tokenNll(windows: TokenWindows): Promise<Float32Array>;
  release(): Promise<void>;
}
