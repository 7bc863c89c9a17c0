import { defaultFileFilter } from './select-files.js';
import { parseHubRef } from './parse-ref.js';

describe('parseHubRef', () => {
  it('reads owner, name and revision, with main by default', () => {
    expect(parseHubRef('hf:onnx-community/gpt2')).toMatchObject({
      owner: 'onnx-community',
      name: 'gpt2',
      repo: 'onnx-community/gpt2',
      revision: 'main',
    });
    expect(parseHubRef('hf:Xenova/bert_base.v2@v1.0').revision).toBe('v1.0');
    expect(parseHubRef('hf:a/b@refs/pr/1').revision).toBe('refs/pr/1');
    expect(parseHubRef(`hf:a/b@${'0123456789abcdef'.repeat(2)}01234567`).revision).toHaveLength(40);
  });

  it.each([
    'onnx-community/gpt2',
    'hf:gpt2',
    'hf:a/b/c',
    'hf:a/b@',
    'hf:-a/b',
    'hf:a--x/b',
    'hf:a/b..c',
    'hf:a/b@../x',
    'hf:a b/c',
    'hf:a/b:onnx/model.onnx',
  ])('rejects %s with E_BAD_PARAM and the expected form', (ref) => {
    expect(() => parseHubRef(ref)).toThrow(
      expect.objectContaining({ code: 'E_BAD_PARAM', hint: expect.stringContaining('hf:owner/name@revision') }),
    );
  });
});

describe('defaultFileFilter', () => {
  const repo = [
    'model.onnx',
    'model.onnx_data',
    'model_fp16.onnx',
    'onnx/model_q4.onnx',
    'config.json',
    'tokenizer.json',
    'vocab.txt',
    'tokenizer.model',
    'pytorch_model.bin',
    'model.safetensors',
    'flax_model.msgpack',
    'tf_model.h5',
    'README.md',
  ];

  it('keeps the canonical ONNX model, its external data, configs and tokenizers', () => {
    expect(repo.filter(defaultFileFilter('model', repo))).toEqual([
      'model.onnx',
      'model.onnx_data',
      'config.json',
      'tokenizer.json',
      'vocab.txt',
      'tokenizer.model',
    ]);
  });

  it('keeps every ONNX file when there is no canonical model.onnx', () => {
    const paths = ['onnx/decoder.onnx', 'onnx/decoder.onnx_data', 'onnx/encoder.onnx', 'pytorch_model.bin'];
    expect(paths.filter(defaultFileFilter('model', paths))).toEqual(paths.slice(0, 3));
  });

  it('keeps everything but weights for a dataset', () => {
    const paths = ['data/valid.jsonl', 'data/train-0.parquet', 'README.md', 'model.safetensors'];
    expect(paths.filter(defaultFileFilter('dataset', paths))).toEqual(paths.slice(0, 3));
  });
});
