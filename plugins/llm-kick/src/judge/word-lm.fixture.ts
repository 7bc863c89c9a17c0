/**
 * Test fixture: a word-level "bigram" causal LM folder (model.onnx, tokenizer.json, config.json)
 * whose greedy continuation is written by hand: after word X it says next[X], and after anything else
 * it says </s> (EOS). Words outside the vocabulary are <unk>. Texts are split on whitespace and
 * decoded joined by single spaces.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';

export const EOS = '</s>';
export const UNK = '<unk>';

export function wordLmDir(
  words: readonly string[],
  next: Readonly<Record<string, string>>,
  contextLength = 256,
): string {
  const vocab = [EOS, UNK, ...words.filter((w) => w !== EOS && w !== UNK)];
  const id = new Map(vocab.map((w, i) => [w, i]));
  const V = vocab.length;
  const table = new Float32Array(V * V);
  for (let x = 0; x < V; x++) table[x * V + (id.get(next[vocab[x]] ?? EOS) ?? 0)] = 5;
  const g = new GraphBuilder({ opset: 17 });
  const t = g.initializer('table', DataType.FLOAT, [V, V], table);
  const ids = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  g.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
  g.node('Gather', [t, ids], { axis: 0 }, { outputs: ['logits'] });
  g.output('logits', DataType.FLOAT, ['batch', 'sequence', V]);
  const dir = mkdtempSync(join(tmpdir(), 'mc-word-lm-'));
  writeFileSync(join(dir, 'model.onnx'), g.toBytes());
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ vocab_size: V, n_positions: contextLength }));
  const special = (content: string, i: number) => ({
    id: i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [special(EOS, 0)],
      normalizer: null,
      pre_tokenizer: { type: 'WhitespaceSplit' },
      post_processor: null,
      decoder: null,
      model: { type: 'WordLevel', vocab: Object.fromEntries(vocab.map((w, i) => [w, i])), unk_token: UNK },
    }),
  );
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: EOS, unk_token: UNK }));
  return dir;
}
