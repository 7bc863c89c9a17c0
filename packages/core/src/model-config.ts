/**
 * config.json beside a model, read once and checked against a schema (ajv) of the fields mc reads:
 * a config that is not an object, or whose context length is "lots", is refused naming the file and
 * the field, instead of being ignored. Fields mc does not read are left alone (any Hugging Face
 * config passes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { ErrorCodes, UserError } from './errors.js';
import { regularFileInside } from './safe-paths.js';

const count = { type: ['integer', 'null'], minimum: 1 };
const tokenId = {
  anyOf: [{ type: 'integer', minimum: 0 }, { type: 'array', items: { type: 'integer', minimum: 0 } }, { type: 'null' }],
};
const numbers = { anyOf: [{ type: 'number' }, { type: 'array', items: { type: 'number' } }] };

/** The fields some part of mc reads (lm/, calibration, the vision metrics). */
export const MODEL_CONFIG_SCHEMA = {
  type: 'object',
  properties: {
    n_positions: count,
    max_position_embeddings: count,
    n_ctx: count,
    vocab_size: count,
    hidden_size: count,
    n_embd: count,
    num_attention_heads: count,
    n_head: count,
    num_key_value_heads: count,
    head_dim: count,
    num_hidden_layers: count,
    n_layer: count,
    bos_token_id: tokenId,
    eos_token_id: tokenId,
    pad_token_id: tokenId,
    threshold: { type: 'number' },
    preprocessing: {
      type: 'object',
      properties: {
        size: { type: 'object', properties: { height: count, width: count } },
        channels: count,
        rescale_factor: { type: 'number' },
        do_rescale: { type: 'boolean' },
        do_normalize: { type: 'boolean' },
        mean: numbers,
        std: numbers,
        image_mean: numbers,
        image_std: numbers,
      },
    },
  },
} as const;

let validate: ReturnType<Ajv['compile']> | undefined;

/** Parse and check a config.json's text; `file` names it in messages. */
export function parseModelConfig(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(ErrorCodes.BAD_MODEL, `${file} is not valid JSON (${(e as Error).message})`, {
      hint: 'fix or remove the file',
    });
  }
  validate ??= new Ajv({ allErrors: false, strict: false }).compile(MODEL_CONFIG_SCHEMA);
  if (!validate(value))
    throw new UserError(
      ErrorCodes.BAD_MODEL,
      `${file}: ${describe(validate.errors?.find((e) => e.keyword === 'anyOf') ?? validate.errors?.[0], value)}`,
      { hint: 'fix the field, or remove it to let mc use its default' },
    );
  return value as Record<string, unknown>;
}

/** config.json in a model folder, or undefined when there is none. */
export function readModelConfig(dir: string): Record<string, unknown> | undefined {
  if (!existsSync(join(dir, 'config.json'))) return undefined;
  const path = regularFileInside(dir, 'config.json', `config.json in ${dir}`, ErrorCodes.BAD_MODEL);
  return parseModelConfig(readFileSync(path, 'utf8'), `config.json in ${dir}`);
}

function describe(error: ErrorObject | undefined, value: unknown): string {
  if (!error) return 'does not match the expected layout';
  const field = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
  const got = field
    .split('.')
    .reduce<unknown>(
      (v, k) => (k === '' || v === null || typeof v !== 'object' ? v : (v as Record<string, unknown>)[k]),
      value,
    );
  const shown = JSON.stringify(got)?.slice(0, 60) ?? String(got);
  if (field === '') return `must be a JSON object (got ${Array.isArray(value) ? 'an array' : shown})`;
  const rule = error.keyword === 'anyOf' ? 'has the wrong type' : (error.message ?? 'is invalid');
  return `field ${field} ${rule.replace(/^must be (\w+),(\w+)$/, 'must be $1 or $2')} (got ${shown})`;
}
