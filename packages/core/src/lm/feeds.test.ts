import { DataType } from '../onnx/dtypes.js';
import type { ValueInfoProto } from '../onnx/model.js';
import { buildFeeds, emptyPastDims, inputSpecs, type InputSpec } from './feeds.js';

const vi = (name: string, elemType: DataType, dims: (number | string)[]): ValueInfoProto => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});
const past = (dims: (number | string)[]): InputSpec => ({
  name: 'past_key_values.0.key',
  role: 'past',
  type: 'float32',
  dims,
});
const windows = {
  batch: 2,
  length: 3,
  inputs: Int32Array.of(5, 6, 7, 8, 9, 10),
  targets: Int32Array.of(6, 7, 8, 9, 10, 11),
};

describe('inputSpecs', () => {
  it('knows the decoder inputs and skips initializers listed as inputs (IR < 4)', () => {
    const specs = inputSpecs(
      [
        vi('input_ids', DataType.INT32, ['batch', 'sequence']),
        vi('attention_mask', DataType.INT64, ['batch', 'total']),
        vi('position_ids', DataType.INT64, ['batch', 'sequence']),
        vi('past.0.key', DataType.FLOAT16, ['batch', 4, 'past', 16]),
        vi('use_cache_branch', DataType.BOOL, [1]),
        vi('wte', DataType.FLOAT, [10, 4]),
      ],
      new Set(['wte']),
    );
    expect(specs.map((s) => [s.name, s.role, s.type])).toEqual([
      ['input_ids', 'input_ids', 'int32'],
      ['attention_mask', 'attention_mask', 'int64'],
      ['position_ids', 'position_ids', 'int64'],
      ['past.0.key', 'past', 'float16'],
      ['use_cache_branch', 'use_cache_branch', 'bool'],
    ]);
    expect(specs[3].dims).toEqual(['batch', 4, 'past', 16]);
  });

  it('refuses a model without input_ids, and inputs it cannot feed', () => {
    expect(() =>
      inputSpecs([vi('input_ids', DataType.INT64, [1, 3]), vi('pixel_values', DataType.FLOAT, [1, 3])], new Set()),
    ).toThrow(expect.objectContaining({ code: 'E_BAD_MODEL', message: 'cannot feed model input pixel_values' }));
    expect(() => inputSpecs([vi('attention_mask', DataType.INT64, [1, 3])], new Set())).toThrow(
      expect.objectContaining({ code: 'E_BAD_MODEL', message: 'not a causal LM: no input_ids input' }),
    );
    expect(() => inputSpecs([vi('input_ids', DataType.FLOAT, [1, 3])], new Set())).toThrow(
      expect.objectContaining({ code: 'E_BAD_MODEL' }),
    );
  });
});

describe('emptyPastDims', () => {
  it('takes numeric dims from the graph and sets batch and past length', () => {
    expect(emptyPastDims(past(['batch', 2, 'past', 4]), 3)).toEqual([3, 2, 0, 4]);
  });

  it('fills symbolic heads / head_dim from config.json', () => {
    // GPT-2 keys: 8 heads, 256 / 8 = 32 per head
    expect(emptyPastDims(past(['b', 'h', 'p', 'd']), 1, { n_head: 8, n_embd: 256 })).toEqual([1, 8, 0, 32]);
    // LLaMA with grouped-query attention: 4 KV heads; head_dim 4096 / 32 = 128
    expect(
      emptyPastDims(past(['b', 'h', 'p', 'd']), 2, {
        num_attention_heads: 32,
        num_key_value_heads: 4,
        hidden_size: 4096,
      }),
    ).toEqual([2, 4, 0, 128]);
    // an explicit head_dim wins over hidden / heads (Gemma: 256 with 8 heads of a 2048 model)
    expect(
      emptyPastDims(past(['b', 'h', 'p', 'd']), 1, { num_attention_heads: 8, hidden_size: 2048, head_dim: 256 }),
    ).toEqual([1, 8, 0, 256]);
  });

  it('refuses symbolic dims without a config, and caches of another rank', () => {
    expect(() => emptyPastDims(past(['b', 'h', 'p', 'd']), 1)).toThrow(
      expect.objectContaining({ code: 'E_BAD_MODEL' }),
    );
    expect(() => emptyPastDims(past(['b', 32, 'p']), 1)).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
  });
});

describe('buildFeeds', () => {
  it('ids, an all-ones mask, positions 0..T-1 per row, an empty past and use_cache_branch false', () => {
    const specs = inputSpecs(
      [
        vi('input_ids', DataType.INT64, ['batch', 'sequence']),
        vi('attention_mask', DataType.INT32, ['batch', 'sequence']),
        vi('position_ids', DataType.INT64, ['batch', 'sequence']),
        vi('past_key_values.0.value', DataType.FLOAT16, ['batch', 2, 'past', 4]),
        vi('use_cache_branch', DataType.BOOL, [1]),
      ],
      new Set(),
    );
    const f = buildFeeds(specs, windows);
    expect(f.input_ids).toEqual({ type: 'int64', data: BigInt64Array.of(5n, 6n, 7n, 8n, 9n, 10n), dims: [2, 3] });
    expect(f.attention_mask).toEqual({ type: 'int32', data: Int32Array.of(1, 1, 1, 1, 1, 1), dims: [2, 3] });
    expect(f.position_ids).toEqual({ type: 'int64', data: BigInt64Array.of(0n, 1n, 2n, 0n, 1n, 2n), dims: [2, 3] });
    expect(f['past_key_values.0.value']).toEqual({ type: 'float16', data: new Uint16Array(0), dims: [2, 2, 0, 4] });
    expect(f.use_cache_branch).toEqual({ type: 'bool', data: Uint8Array.of(0), dims: [1] });
  });
});
