/**
 * What a decoder export takes, and the feeds for one batch of windows: pure functions over the
 * graph's declared inputs and config.json, so the shape rules are testable without onnxruntime.
 *
 * Scoring runs every window from an empty cache, so a KV export (past_key_values.*) is fed past
 * tensors with a sequence length of 0 and a merged export's use_cache_branch is false: the call is
 * then exactly the plain decoder's.
 */
import { ErrorCodes, UserError } from '../errors.js';
import { DataType } from '../onnx/dtypes.js';
import type { ValueInfoProto } from '../onnx/model.js';
import { hostArray } from '../session/host-array.js';
import type { HostTensor, TensorElementType } from '../session/types.js';
import type { TokenWindows } from './types.js';

export type InputRole = 'input_ids' | 'attention_mask' | 'position_ids' | 'past' | 'use_cache_branch';

/** One graph input the adapter knows how to feed. dims: numbers, or the symbolic name (null when unnamed). */
export interface InputSpec {
  readonly name: string;
  readonly role: InputRole;
  readonly type: TensorElementType;
  readonly dims: readonly (number | string | null)[];
}

const ELEMENT_TYPES: Partial<Record<number, TensorElementType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.BOOL]: 'bool',
};

/** Element types each role may have (a float16 mask or int8 past would need conversions no export uses). */
const ALLOWED: Record<InputRole, readonly TensorElementType[]> = {
  input_ids: ['int64', 'int32'],
  position_ids: ['int64', 'int32'],
  attention_mask: ['int64', 'int32', 'float32', 'bool', 'uint8', 'int8'],
  past: ['float32', 'float16'],
  use_cache_branch: ['bool'],
};

function roleOf(name: string): InputRole | undefined {
  if (name === 'input_ids' || name === 'attention_mask' || name === 'position_ids' || name === 'use_cache_branch')
    return name;
  // HF exports: past_key_values.0.key / .value (optimum), past.0.key (older ones).
  if (/^(past_key_values|past)\./.test(name)) return 'past';
  return undefined;
}

/** The graph inputs (initializers listed as inputs by IR < 4 models excluded) as InputSpecs; unknown ones refused. */
export function inputSpecs(inputs: readonly ValueInfoProto[], initializers: ReadonlySet<string>): InputSpec[] {
  const fed = inputs.filter((vi) => !initializers.has(vi.name ?? ''));
  if (!fed.some((vi) => vi.name === 'input_ids')) {
    throw new UserError(ErrorCodes.BAD_MODEL, 'not a causal LM: no input_ids input', {
      hint: `the model takes ${fed.map((vi) => vi.name).join(', ') || 'no inputs'}; mc scores decoder exports with an input_ids input`,
    });
  }
  const specs: InputSpec[] = [];
  for (const vi of fed) {
    const name = vi.name ?? '';
    const role = roleOf(name);
    const tensor = vi.type?.tensorType;
    const type = ELEMENT_TYPES[tensor?.elemType ?? 0];
    if (!role || !type || !ALLOWED[role].includes(type)) {
      throw new UserError(
        ErrorCodes.BAD_MODEL,
        `cannot feed model input ${name}${role ? ` (element type ${type ?? tensor?.elemType})` : ''}`,
        {
          hint: 'a causal LM export takes input_ids and optionally attention_mask, position_ids, past_key_values.* and use_cache_branch',
        },
      );
    }
    const dims = (tensor?.shape?.dim ?? []).map((d) =>
      typeof d.dimValue === 'number' && !d.dimParam ? d.dimValue : d.dimParam || null,
    );
    specs.push({ name, role, type, dims });
  }
  return specs;
}

/**
 * [batch, heads, 0, head_dim] for an empty past: numeric dims from the graph where it has them, the
 * rest from config.json (KV heads: num_key_value_heads for grouped-query attention, else the
 * attention heads; head_dim: head_dim, else hidden size / attention heads).
 */
export function emptyPastDims(spec: InputSpec, batch: number, config: Record<string, unknown> = {}): number[] {
  if (spec.dims.length !== 4) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `past input ${spec.name} has rank ${spec.dims.length}; mc feeds [batch, heads, past, head_dim] caches only`,
      {
        hint: 'export the model without past_key_values (or with the optimum layout)',
      },
    );
  }
  const num = (...keys: string[]) =>
    keys.map((k) => config[k]).find((v): v is number => typeof v === 'number' && v > 0);
  const heads = num('num_attention_heads', 'n_head', 'num_heads');
  const hidden = num('hidden_size', 'n_embd', 'd_model');
  const fromConfig = [
    batch,
    num('num_key_value_heads', 'n_head_kv') ?? heads,
    0,
    num('head_dim') ?? (heads && hidden ? hidden / heads : undefined),
  ];
  return spec.dims.map((d, i) => {
    if (i === 0) return batch;
    if (i === 2) return 0;
    const v = typeof d === 'number' ? d : fromConfig[i];
    if (v === undefined || !Number.isInteger(v)) {
      throw new UserError(
        ErrorCodes.BAD_MODEL,
        `cannot tell the shape of ${spec.name}: dim ${i} is symbolic and config.json does not give it`,
        {
          hint: 'put config.json (num_attention_heads, hidden_size) beside the model',
        },
      );
    }
    return v;
  });
}

/** The feeds for one batch of windows. */
export function buildFeeds(
  specs: readonly InputSpec[],
  windows: TokenWindows,
  config?: Record<string, unknown>,
): Record<string, HostTensor> {
  const { batch: B, length: T } = windows;
  const feeds: Record<string, HostTensor> = {};
  for (const spec of specs) {
    switch (spec.role) {
      case 'input_ids':
        feeds[spec.name] = ints(spec, [B, T], (i) => windows.inputs[i]);
        break;
      case 'attention_mask': // windows hold no padding: every position is real
        feeds[spec.name] = ints(spec, [B, T], () => 1);
        break;
      case 'position_ids': // positions restart at 0 in every window (no cache carries over)
        feeds[spec.name] = ints(spec, [B, T], (i) => i % T);
        break;
      case 'use_cache_branch':
        feeds[spec.name] = { type: spec.type, data: hostArray(spec.type, 1), dims: spec.dims.length ? [1] : [] };
        break;
      case 'past':
        feeds[spec.name] = { type: spec.type, data: hostArray(spec.type, 0), dims: emptyPastDims(spec, B, config) };
        break;
    }
  }
  return feeds;
}

/** An integer tensor of the spec's element type, value(i) at flat index i. */
function ints(spec: InputSpec, dims: number[], value: (i: number) => number): HostTensor {
  const n = dims[0] * dims[1];
  const data = hostArray(spec.type, n);
  if (data instanceof BigInt64Array) for (let i = 0; i < n; i++) data[i] = BigInt(value(i));
  else for (let i = 0; i < n; i++) data[i] = value(i);
  return { type: spec.type, data, dims };
}
