/**
 * The int8 compressor as core sees it: registered from the mc:register hook, parameters parsed from
 * their specs, and a compress -> save -> load -> decompress round trip through real files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, OnnxModel, parseParams, Registry } from '@mc-kit/core';
import register from '../register.js';
import { INT8_PARAMS, Int8Compressor } from './plugin.js';
import { MLP_INPUT, mlp } from './models.fixture.js';
import { runModel, testContext, UNFUSED } from './testkit.fixture.js';

describe('Int8Compressor', () => {
  it('registers through its mc:register hook and resolves by id', async () => {
    const manifest = await register({});
    const registry = new Registry();
    expect(registry.addPlugin({ name: '@mc-kit/plugin-quant', version: '0.1.0' }, manifest)).toEqual([
      'compressor:int8',
      'compressor:int4',
      'compressor:gptq',
    ]);
    const c = registry.compressor('int8');
    expect(c.id).toBe('int8');
    expect(typeof c.decompress).toBe('function');
  });

  it('declares its parameters once, with defaults', () => {
    expect(INT8_PARAMS.map((p) => [p.name, p.type, p.default])).toEqual([
      ['scheme', 'enum', 'sym'],
      ['granularity', 'enum', 'channel'],
      ['keep-opset', 'boolean', false],
      ['min-size', 'integer', 1024],
      ['include', 'string[]', []],
      ['exclude', 'string[]', []],
    ]);
    expect(parseParams(INT8_PARAMS, {}, 'int8')).toEqual({
      scheme: 'sym',
      granularity: 'channel',
      'keep-opset': false,
      'min-size': 1024,
      include: [],
      exclude: [],
    });
    expect(() => parseParams(INT8_PARAMS, { 'min-size': '0' }, 'int8')).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_PARAM, message: expect.stringMatching(/--min-size/) }),
    );
    expect(() => parseParams(INT8_PARAMS, { scheme: 'affine' }, 'int8')).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_PARAM, message: expect.stringMatching(/--scheme/) }),
    );
  });

  it('compresses with flag-style params and reports measured values', async () => {
    const params = parseParams(INT8_PARAMS, { scheme: 'asym', 'min-size': '256', exclude: 'w2,b*' }, 'int8');
    const report = await new Int8Compressor().compress(mlp(), params, testContext());
    expect(report.method).toBe('int8');
    expect(report.params).toBe(params);
    expect(report.tensors.filter((t) => t.action === 'int8').map((t) => t.name)).toEqual(['w1', 'w3', 'w4']);
    // w1 [8,160] axis 1, w3 [16,64] axis 1, w4 [64,4] axis 1: 160 + 64 + 4 channels over 1280 + 1024 + 256 weights
    expect(report.bitsPerWeight).toBeCloseTo((8 * 2560 + 40 * 228) / 2560, 12);
    expect(report.notes[0]).toMatch(/3 of 6 float initializers quantized to int8 \(asym, per channel\)/);
  });

  it('round-trips through files: compress, save, load, decompress', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-int8-'));
    try {
      const int8 = new Int8Compressor();
      const model = mlp();
      await int8.compress(model, parseParams(INT8_PARAMS, {}, 'int8'), testContext());
      await model.save(join(dir, 'int8.onnx'));
      const loaded = await OnnxModel.load(join(dir, 'int8.onnx'));
      const quantizedOut = await runModel(loaded, MLP_INPUT, UNFUSED);
      await int8.decompress(loaded, testContext());
      await loaded.save(join(dir, 'dense.onnx'));
      const dense = await OnnxModel.load(join(dir, 'dense.onnx'));
      expect(dense.nodes.some((n) => n.opType === 'DequantizeLinear')).toBe(false);
      const denseOut = await runModel(dense, MLP_INPUT, UNFUSED);
      expect(denseOut).toEqual(quantizedOut);
      await expect(int8.decompress(dense, testContext())).rejects.toMatchObject({ code: ErrorCodes.NOT_COMPRESSED });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
