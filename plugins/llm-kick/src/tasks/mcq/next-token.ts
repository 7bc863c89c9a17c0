/**
 * Greedy next token of a decoder export, with the few-shot prefix computed once.
 *
 * Every question of a subject shares its prompt up to the last shot, so with a past_key_values export
 * (optimum's "text-generation-with-past" layout: past_key_values.{i}.key/.value in, present.{i}.* out)
 * the prefix runs once and each question feeds only its own tokens against the cached keys and values:
 * the same logits as one pass over the whole prompt (the export's attention is exact; checked to
 * 5e-6), at a fraction of the work. A plain export runs the whole prompt every time.
 *
 * The caller says how many leading ids are the shared prefix; cached keys and values are looked up by
 * those ids themselves, so a hit is always the same computation as the full pass. Greedy = the first
 * index of the largest logit (torch.argmax on CPU).
 */
import {
  ErrorCodes,
  UserError,
  type HostTensor,
  type LoadedModel,
  type McSession,
  type RunContext,
} from '@mc-kit/core';

export interface NextTokenModel {
  /** does this model reuse the prefix through past_key_values? */
  readonly cached: boolean;
  /** greedy next token after `ids`, whose first `prefixLength` ids may be shared with other calls */
  next(ids: readonly number[], prefixLength: number): Promise<{ token: number; cached: boolean; logits: Float32Array }>;
  /** model runs so far, and how many of them reused a cached prefix */
  readonly stats: { runs: number; cachedRuns: number; tokensFed: number };
  release(): Promise<void>;
}

/** cached prefixes kept at once: the shot counts of one subject (0..5) with room to spare */
const MAX_PREFIXES = 8;

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

function num(config: Record<string, unknown>, ...keys: string[]): number | undefined {
  return keys.map((k) => config[k]).find((v): v is number => typeof v === 'number' && v > 0);
}

/** [heads, head_dim] of the cache, from config.json (onnx.past_key_values, else the GPT-2/LLaMA keys). */
function cacheShape(config: Record<string, unknown>): [number, number] | undefined {
  const onnx = (config.onnx as { past_key_values?: { heads?: number; head_dim?: number } } | undefined)
    ?.past_key_values;
  const heads = onnx?.heads ?? num(config, 'num_key_value_heads', 'n_head', 'num_attention_heads');
  const hidden = num(config, 'n_embd', 'hidden_size');
  const headDim = onnx?.head_dim ?? num(config, 'head_dim') ?? (heads && hidden ? hidden / heads : undefined);
  return heads && headDim && Number.isInteger(headDim) ? [heads, headDim] : undefined;
}

function int64(values: ArrayLike<number>, dims: number[]): HostTensor {
  return { type: 'int64', data: BigInt64Array.from({ length: values.length }, (_, i) => BigInt(values[i])), dims };
}

function range(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

/** The last position's logits [vocab] (a view) and their greedy token. */
function lastRow(logits: HostTensor): { token: number; logits: Float32Array } {
  if (logits.type !== 'float32' || logits.dims.length !== 3) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `logits came back as ${logits.type} [${logits.dims.join(', ')}]; kick-mcq reads float32 [batch, sequence, vocab]`,
    );
  }
  const vocab = logits.dims[2];
  const data = logits.data as Float32Array;
  const row = data.subarray(data.length - vocab);
  let best = 0;
  for (let v = 1; v < vocab; v++) if (row[v] > row[best]) best = v;
  return { token: best, logits: row };
}

export async function openNextTokenModel(
  model: LoadedModel,
  ctx: RunContext,
  options: { cache: boolean },
): Promise<NextTokenModel> {
  const session: McSession = await ctx.sessions.create(model.path);
  const inputs = new Set(session.inputNames);
  if (!inputs.has('input_ids')) {
    await session.release();
    throw new UserError(ErrorCodes.BAD_MODEL, `${model.ref}: not a causal LM (no input_ids input)`, {
      hint: 'kick-mcq runs decoder exports with input_ids and a logits output',
    });
  }
  const logitsName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  const pastNames = session.inputNames.filter((n) => PAST.test(n));
  const presentOf = (past: string) => past.replace(/^past_key_values\./, 'present.');
  const shape = cacheShape(model.config ?? {});
  const hasCache =
    pastNames.length > 0 && shape !== undefined && pastNames.every((n) => session.outputNames.includes(presentOf(n)));
  if (pastNames.length > 0 && !shape) {
    await session.release();
    throw new UserError(
      ErrorCodes.BAD_MODEL,
      `${model.ref}: cannot tell the shape of past_key_values from config.json`,
      { hint: 'config.json needs n_head/num_attention_heads and n_embd/hidden_size' },
    );
  }
  const cached = options.cache && hasCache;
  const stats = { runs: 0, cachedRuns: 0, tokensFed: 0 };
  // Prefixes by their ids: a subject's questions alternate between shot counts (long ones drop shots), so
  // one entry per count is kept; a new subject's prefixes replace the old ones (few MiB each).
  const prefixes = new Map<string, Record<string, HostTensor>>();

  /** One run: `ids` after a past of `pastLength` positions (`past` undefined: empty). */
  async function run(
    ids: readonly number[],
    pastLength: number,
    past: Record<string, HostTensor> | undefined,
    outputs: string[],
  ): Promise<Record<string, HostTensor>> {
    const feeds: Record<string, HostTensor> = { input_ids: int64(ids, [1, ids.length]) };
    if (inputs.has('attention_mask'))
      feeds.attention_mask = int64(new Array(pastLength + ids.length).fill(1), [1, pastLength + ids.length]);
    if (inputs.has('position_ids')) feeds.position_ids = int64(range(pastLength, ids.length), [1, ids.length]);
    if (inputs.has('use_cache_branch'))
      feeds.use_cache_branch = { type: 'bool', data: Uint8Array.of(pastLength > 0 ? 1 : 0), dims: [1] };
    for (const name of pastNames)
      feeds[name] = past?.[name] ?? { type: 'float32', data: new Float32Array(0), dims: [1, shape![0], 0, shape![1]] };
    stats.runs++;
    stats.tokensFed += ids.length;
    return session.run(feeds, outputs);
  }

  return {
    cached,
    stats,
    async next(ids, prefixLength) {
      if (cached && prefixLength > 0 && prefixLength < ids.length) {
        const head = ids.slice(0, prefixLength);
        const key = head.join(',');
        let past = prefixes.get(key);
        if (!past) {
          const out = await run(head, 0, undefined, pastNames.map(presentOf));
          past = Object.fromEntries(pastNames.map((n) => [n, out[presentOf(n)]]));
          if (prefixes.size >= MAX_PREFIXES) prefixes.delete(prefixes.keys().next().value!);
          prefixes.set(key, past);
        }
        stats.cachedRuns++;
        const out = await run(ids.slice(prefixLength), prefixLength, past, [logitsName]);
        return { ...lastRow(out[logitsName]), cached: true };
      }
      return { ...lastRow((await run(ids, 0, undefined, [logitsName]))[logitsName]), cached: false };
    },
    release: () => session.release(),
  };
}
