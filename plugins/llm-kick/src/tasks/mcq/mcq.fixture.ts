/**
 * Test fixtures for kick-mcq: MMLU CSV folders written in the original layout, and a model folder
 * whose greedy answer is known by hand.
 *
 * The model is a "constant" LM over a byte-level BPE tokenizer: ids 0-255 are the 256 bytes (GPT-2's
 * byte-to-unicode map), 256 is " B" and 257 is "AB" (merges "Ġ B", "A B"); logits[b, t, :] are one-hot
 * at `answer` for every position, so the model always answers that one token.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
function bytesToUnicode(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCharCode(printable(b) ? b : 256 + extra++));
  return out;
}

export const TOKEN_SPACE_B = 256;
export const TOKEN_AB = 257;
export const VOCAB = 258;

export function tokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((c, b) => (vocab[c] = b));
  vocab['ĠB'] = TOKEN_SPACE_B;
  vocab['AB'] = TOKEN_AB;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: ['Ġ B', 'A B'],
    },
  };
}

/** A model folder that always answers token `answer`; `context` goes in config.json as n_positions. */
export function constantLmDir(answer: number, context: number): string {
  const g = new GraphBuilder({ opset: 17 });
  const table = new Float32Array(VOCAB * VOCAB);
  for (let row = 0; row < VOCAB; row++) table[row * VOCAB + answer] = 10;
  const t = g.initializer('table', DataType.FLOAT, [VOCAB, VOCAB], table);
  const ids = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  g.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
  const logits = g.node('Gather', [t, ids], { axis: 0 }, { outputs: ['logits'] })[0];
  g.output(logits, DataType.FLOAT, ['batch', 'sequence', VOCAB]);
  const dir = mkdtempSync(join(tmpdir(), 'mc-kick-lm-'));
  writeFileSync(join(dir, 'model.onnx'), g.build().toBytes());
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: false, add_eos_token: false }));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ model_type: 'gpt2', vocab_size: VOCAB, n_positions: context }),
  );
  return dir;
}

/** An MMLU folder: files[split][subject] = CSV text (written byte for byte). */
export function mmluDir(files: Record<string, Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-kick-mmlu-'));
  for (const [split, subjects] of Object.entries(files)) {
    mkdirSync(join(dir, split));
    for (const [subject, text] of Object.entries(subjects))
      writeFileSync(join(dir, split, `${subject}_${split}.csv`), text);
  }
  return dir;
}

/** Five dev rows (answers A B C D A) and four test rows (answers B A B D; row 1 has a None cell, row 2 a quoted comma). */
export const DEV_CSV = [
  'Q0?,a0,b0,c0,d0,A',
  'Q1?,a1,b1,c1,d1,B',
  'Q2?,a2,b2,c2,d2,C',
  'Q3?,a3,b3,c3,d3,D',
  'Q4?,a4,b4,c4,d4,A',
  '',
].join('\n');
export const TEST_CSV = [
  'What is 1+1?,0,2,4,6,B',
  'Pick one.,None,x,y,z,A',
  '"Commas, quoted?",yes,no,"a, b",c,B',
  'Last?,p,q,r,s,D',
  '',
].join('\n');
