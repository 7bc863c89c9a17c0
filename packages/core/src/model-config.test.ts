import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseModelConfig, readModelConfig } from './model-config.js';
import { loadModelRef } from './model-ref.js';
import { DataType } from './onnx/dtypes.js';
import { GraphBuilder } from './testing/graph-builder.js';

const SHARED_MODELS = join(process.cwd(), '..', 'shared', 'models');

describe('config.json is checked against a schema, naming the field', () => {
  it.each([
    ['null', /must be a JSON object \(got null\)/],
    ['[1, 2]', /must be a JSON object \(got an array\)/],
    ['{"n_positions": "lots"}', /field n_positions must be integer or null \(got "lots"\)/],
    ['{"n_positions": 0}', /field n_positions must be >= 1 \(got 0\)/],
    [
      '{"preprocessing": {"size": {"height": 2.5}}}',
      /field preprocessing\.size\.height must be integer or null \(got 2\.5\)/,
    ],
    ['{"eos_token_id": "eos"}', /field eos_token_id has the wrong type \(got "eos"\)/],
    ['{"n_positions": 512,', /is not valid JSON/],
  ])('%s', (text, message) => {
    expect(() => parseModelConfig(text, 'config.json in m')).toThrow(
      expect.objectContaining({ code: 'E_BAD_MODEL', exitCode: 2, message: expect.stringMatching(message) }),
    );
  });

  it('accepts what Hugging Face configs hold, unknown fields included', () => {
    const cfg = parseModelConfig(
      '{"n_positions": 1024, "eos_token_id": [1, 2], "bos_token_id": null, "head_dim": null, "anything": {"x": [1]}}',
      'c',
    );
    expect(cfg.n_positions).toBe(1024);
  });

  (existsSync(SHARED_MODELS) ? it : it.skip)('accepts every shared model config', () => {
    for (const m of readdirSync(SHARED_MODELS))
      if (existsSync(join(SHARED_MODELS, m, 'config.json')))
        expect(readModelConfig(join(SHARED_MODELS, m))).toBeDefined();
  });

  it('is applied where a model is loaded for evaluation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-config-'));
    const g = new GraphBuilder({ opset: 17 });
    g.output(g.identity(g.input('x', DataType.FLOAT, [1])), DataType.FLOAT, [1]);
    writeFileSync(join(dir, 'model.onnx'), g.toBytes());
    writeFileSync(join(dir, 'config.json'), '{"n_positions": "lots"}');
    await expect(loadModelRef(dir)).rejects.toMatchObject({
      code: 'E_BAD_MODEL',
      message: expect.stringContaining(`config.json in ${dir}: field n_positions`),
    });
  });
});
