/**
 * The int4 compressor as core sees it: registered from the mc:register hook, parameters parsed from
 * their specs (bad block sizes refused with E_BAD_PARAM), and compress -> save -> load ->
 * decompress through real files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, OnnxModel, parseParams, Registry } from '@mc-kit/core';
import register from '../register.js';
import { expectUserError, runModel, testContext } from '../int8/testkit.fixture.js';
import { INT4_PARAMS, Int4Compressor } from './plugin.js';
import { MATMULS_INPUT, matmuls } from './testkit.fixture.js';

const parse = (raw: Record<string, unknown>) => parseParams(INT4_PARAMS, raw, '--method int4');

describe('Int4Compressor', () => {
  it('registers through the mc:register hook beside int8 and resolves by id', async () => {
    const registry = new Registry();
    expect(registry.addPlugin({ name: '@mc-kit/plugin-quant', version: '0.1.0' }, await register({}))).toEqual([
      'compressor:int8',
      'compressor:int4',
      'compressor:gptq',
    ]);
    const c = registry.compressor('int4');
    expect([c.id, typeof c.decompress]).toEqual(['int4', 'function']);
  });

  it('declares its parameters once, with defaults', () => {
    expect(INT4_PARAMS.map((p) => [p.name, p.type, p.default])).toEqual([
      ['scheme', 'enum', 'sym'],
      ['block-size', 'integer', 32],
      ['accuracy-level', 'integer', 0],
      ['search-scale', 'boolean', false],
      ['keep-opset', 'boolean', false],
      ['min-size', 'integer', 1024],
      ['include', 'string[]', []],
      ['exclude', 'string[]', []],
    ]);
    expect(parse({})).toEqual({
      scheme: 'sym',
      'block-size': 32,
      'accuracy-level': 0,
      'search-scale': false,
      'keep-opset': false,
      'min-size': 1024,
      include: [],
      exclude: [],
    });
  });

  it.each([
    [{ 'block-size': '8' }, /--block-size must be between 16 and 256 \(got 8\)/],
    [{ 'block-size': '512' }, /--block-size must be between 16 and 256 \(got 512\)/],
    [{ 'block-size': '32.5' }, /--block-size must be an integer/],
    [{ 'accuracy-level': '5' }, /--accuracy-level must be between 0 and 4/],
    [{ scheme: 'nf4' }, /--scheme must be one of sym, asym/],
  ])('refuses %j with E_BAD_PARAM', async (raw, message) => {
    const e = await expectUserError(() => parse(raw), ErrorCodes.BAD_PARAM);
    expect(e.message).toMatch(message);
  });

  it('refuses a block size that is in range but not a power of two, before touching the model', async () => {
    const model = matmuls();
    const before = model.toBytes();
    const e = await expectUserError(
      new Int4Compressor().compress(model, parse({ 'block-size': '48' }), testContext()),
      ErrorCodes.BAD_PARAM,
    );
    expect(e.message).toBe('--method int4: --block-size must be a power of two from 16 to 256 (got 48)');
    expect(e.hint).toMatch(/16, 32, 64, 128 or 256/);
    expect(model.toBytes()).toEqual(before);
  });

  it('compresses with flag-style params and reports measured values, clip search included', async () => {
    const params = parse({ scheme: 'asym', 'block-size': '64', 'search-scale': 'true', exclude: 'shared' });
    const report = await new Int4Compressor().compress(matmuls(), params, testContext());
    expect(report.method).toBe('int4');
    expect(report.params).toBe(params);
    expect(report.tensors.filter((t) => t.action === 'int4').map((t) => t.name)).toEqual(['a']);
    // a [200, 96], block 64: 4 blocks of 64 codes per column, a float32 scale each, zero points in 2 bytes per column
    expect(report.bitsPerWeight).toBeCloseTo((96 * 256 * 4 + 96 * 4 * 32 + 96 * 2 * 8) / 19200, 12);
    expect(report.notes[0]).toMatch(/1 of 3 float initializers quantized \(int4 asym, block 64\): 1 as MatMulNBits/);
    expect(report.notes[1]).toMatch(/^clip search \(--search-scale\): \d+ of 384 blocks kept a clip factor below 1$/);
  });

  it('round-trips through files: compress, save, load, decompress', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-int4-'));
    try {
      const int4 = new Int4Compressor();
      const model = matmuls();
      await int4.compress(model, parse({}), testContext());
      await model.save(join(dir, 'int4.onnx'));
      const loaded = await OnnxModel.load(join(dir, 'int4.onnx'));
      const quantizedOut = await runModel(loaded, MATMULS_INPUT);
      await int4.decompress(loaded, testContext());
      await loaded.save(join(dir, 'dense.onnx'));
      const dense = await OnnxModel.load(join(dir, 'dense.onnx'));
      expect(dense.nodes.some((n) => n.opType === 'MatMulNBits')).toBe(false);
      expect(await runModel(dense, MATMULS_INPUT)).toEqual(quantizedOut);
      await expect(int4.decompress(dense, testContext())).rejects.toMatchObject({ code: ErrorCodes.NOT_COMPRESSED });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
