/**
 * A bigram "language model" folder whose NLLs are known by hand: logits[b, t, :] = ln P[input[b, t], :],
 * so NLL(next = j | current = i) = -ln P[i][j] exactly, whatever came before. Characters are tokens
 * (a BPE with an empty merge list), so characters and tokens line up one to one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';

export const VOCAB = ['a', 'b', 'c', '\n'] as const;

/** Row i: the distribution of the token after VOCAB[i]; rows sum to 1, values are powers of two. */
export const P: readonly (readonly number[])[] = [
  [0.125, 0.5, 0.25, 0.125],
  [0.25, 0.125, 0.5, 0.125],
  [0.5, 0.125, 0.25, 0.125],
  [0.25, 0.25, 0.25, 0.25],
];

export function ids(text: string): number[] {
  return [...text].map((ch) => VOCAB.indexOf(ch as (typeof VOCAB)[number]));
}

/** Σ -ln P over the bigrams of a token sequence, from position `from` on (targets 1..n-1). */
export function handNll(tokens: readonly number[], from = 1): number {
  let s = 0;
  for (let t = Math.max(1, from); t < tokens.length; t++) s += -Math.log(P[tokens[t - 1]][tokens[t]]);
  return s;
}

/** `probabilities`: another table than P (rows summing to 1), for a second model of the same tokenizer (kld). */
export function bigramModelDir(
  options: { context?: number; probabilities?: readonly (readonly number[])[] } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bigram-'));
  const V = VOCAB.length;
  const table = new Float32Array(V * V);
  for (let i = 0; i < V; i++)
    for (let j = 0; j < V; j++) table[i * V + j] = Math.log((options.probabilities ?? P)[i][j]);
  const g = new GraphBuilder({ opset: 17 });
  const inputIds = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  g.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
  const logits = g.gather(g.initializer('table', DataType.FLOAT, [V, V], table), inputIds);
  g.output(g.identity(logits), DataType.FLOAT, ['batch', 'sequence', V]);
  writeFileSync(join(dir, 'model.onnx'), g.toBytes());
  const vocab: Record<string, number> = Object.fromEntries(VOCAB.map((c, i) => [c, i]));
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab,
        merges: [],
      },
    }),
  );
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: false, add_eos_token: false }));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ model_type: 'bigram', vocab_size: V, n_positions: options.context ?? 64 }),
  );
  return dir;
}
