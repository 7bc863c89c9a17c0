/**
 * A TextTokenizer from a Hugging Face `tokenizer.json` (+ `tokenizer_config.json`), through
 * @huggingface/tokenizers (pure JS, the same code transformers.js runs).
 *
 * encode() follows HF `tokenizer.encode(text)` (add_special_tokens=True) for what comes BEFORE the
 * text, and never appends anything after it (spec bpc-perplexity A.3 step 3: one BOS per record
 * for LLaMA-style tokenizers, nothing for GPT-2/Qwen, and no EOS for any of them).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { sha256Files } from '../digest.js';
import { ErrorCodes, UserError } from '../errors.js';
import type { TextTokenizer } from './types.js';

const TOKENIZER = 'tokenizer.json';
const CONFIG = 'tokenizer_config.json';

export interface LoadedTokenizer extends TextTokenizer {
  /** Ids encode() puts before every text (the BOS, or e.g. [CLS]); empty when it adds nothing. */
  readonly prefixIds: readonly number[];
  /**
   * The tokenizer would append something after the text (an EOS / SEP from its post-processor, or
   * add_eos_token): encode() leaves it out, since the reference protocols score BOS-only streams.
   */
  readonly eosDropped: boolean;
}

/** sha256 over tokenizer.json and tokenizer_config.json (when present), each with its name. */
export async function tokenizerDigest(dir: string): Promise<string> {
  const files = [TOKENIZER, CONFIG]
    .filter((name) => existsSync(join(dir, name)))
    .map((name) => ({ name, path: join(dir, name) }));
  return sha256Files(files);
}

export async function loadTokenizer(dir: string): Promise<LoadedTokenizer> {
  const path = join(dir, TOKENIZER);
  if (!existsSync(path)) {
    throw new UserError(ErrorCodes.FILE_NOT_FOUND, `no ${TOKENIZER} in ${dir}`, {
      hint: 'pass a model folder laid out like a Hugging Face repo: model.onnx (or onnx/model.onnx) with tokenizer.json and config.json beside it',
    });
  }
  const json = await readJson(path);
  const config = existsSync(join(dir, CONFIG)) ? await readJson(join(dir, CONFIG)) : {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (e) {
    throw new UserError(ErrorCodes.UNSUPPORTED, `cannot load ${path}: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'the tokenizer uses a component @huggingface/tokenizers 0.2 does not know',
      cause: e,
    });
  }
  const bare = (text: string): number[] => tokenizer.encode(text, { add_special_tokens: false }).ids;
  const specials = specialsAround(tokenizer, bare);
  const bosToken = tokenText(config.bos_token);
  const eosToken = tokenText(config.eos_token);
  const configBos = bosToken === undefined ? undefined : tokenizer.token_to_id(bosToken);
  // An explicit add_bos_token wins over the template: transformers' LLaMA-family fast tokenizers
  // rebuild their post-processor from it, and the slow tokenizers (the BPC reference's choice) read
  // only the flag. Without the flag, the template in tokenizer.json decides.
  let prefix = specials.prefix;
  if (config.add_bos_token === false) prefix = [];
  else if (config.add_bos_token === true && prefix.length === 0 && configBos !== undefined) prefix = [configBos];
  const eosDropped = specials.suffix.length > 0 || config.add_eos_token === true;
  const vocab = tokenizer.get_vocab(true);
  let maxId = -1;
  for (const id of vocab.values()) if (id > maxId) maxId = id;
  return {
    digest: await tokenizerDigest(dir),
    vocabSize: maxId + 1,
    bosId: prefix[0] ?? configBos,
    eosId: (eosToken === undefined ? undefined : tokenizer.token_to_id(eosToken)) ?? specials.suffix.at(-1),
    addsBos: prefix.length > 0,
    prefixIds: prefix,
    eosDropped,
    encode(text: string): number[] {
      const ids = bare(text);
      // A piece with no id and no unk token would silently become id 0 in an Int32Array.
      if (ids.some((id) => !Number.isInteger(id))) {
        throw new UserError(
          ErrorCodes.BAD_DATASET,
          `the tokenizer in ${dir} has no id for part of the text and no unk token`,
        );
      }
      return prefix.length ? [...prefix, ...ids] : ids;
    },
    decode(ids: readonly number[]): string {
      // @huggingface/tokenizers throws on an empty list; the empty text is the honest answer.
      return ids.length ? tokenizer.decode([...ids]) : '';
    },
  };
}

/**
 * What the post-processor puts before and after a single text, found by encoding a probe with and
 * without special tokens: this covers TemplateProcessing, Bert/Roberta processing and Sequences of
 * them alike, exactly as this library applies them, without re-implementing template parsing.
 */
function specialsAround(
  tokenizer: Tokenizer,
  bare: (text: string) => number[],
): { prefix: number[]; suffix: number[] } {
  const probe = 'a';
  const without = bare(probe);
  const withSpecials = tokenizer.encode(probe).ids;
  for (let k = 0; k + without.length <= withSpecials.length; k++) {
    if (without.every((id, i) => withSpecials[k + i] === id)) {
      return { prefix: withSpecials.slice(0, k), suffix: withSpecials.slice(k + without.length) };
    }
  }
  return { prefix: [], suffix: [] };
}

/** bos_token / eos_token in tokenizer_config.json: a string, or an AddedToken object with `content`. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the one message below
  }
  throw new UserError(ErrorCodes.BAD_MODEL, `${path} is not a JSON object`, {
    hint: 'tokenizer files must be the JSON that Hugging Face tokenizers save',
  });
}
