/**
 * The prune compressor as core sees it: registration, parameters, the LLM-KICK defaults (embeddings,
 * biases and the head stay dense), measured sparsity, Wanda's use of the captured activation norms,
 * and each bad input as one UserError.
 */
import { ErrorCodes, parseParams, Registry } from '@mc-kit/core';
import { PRUNE_PARAMS } from './options.js';
import { PruneCompressor } from './plugin.js';
import register from './register.js';
import type { PruneTensorReport } from './report.js';
import { DIM, feedsCalibration, HIDDEN, testContext, tinyLm } from './testkit.fixture.js';
import { rowMask, wandaScores } from './unstructured/math.js';
import { toRows } from './unstructured/views.js';

const params = (raw: Record<string, unknown>) => parseParams(PRUNE_PARAMS, { 'min-size': '1', ...raw }, 'prune');
const byName = (tensors: readonly PruneTensorReport[], name: string) =>
  tensors.find((t) => t.name === name) as PruneTensorReport;
const zerosOf = (w: Float32Array) => w.filter((v) => v === 0).length;

describe('PruneCompressor', () => {
  it('registers through its mc:register hook', async () => {
    const registry = new Registry();
    expect(registry.addPlugin({ name: '@mc-kit/plugin-prune', version: '0.1.0' }, await register({}))).toEqual([
      'compressor:prune',
    ]);
    expect(registry.compressor('prune').params).toBe(PRUNE_PARAMS);
  });

  it('magnitude per layer: LLM-KICK rule, embeddings, biases and the head stay dense', async () => {
    const model = tinyLm();
    const report = await new PruneCompressor().compress(model, params({ sparsity: '0.5' }), testContext());
    const t = report.tensors as PruneTensorReport[];
    // 128 distinct |w|: everything <= sorted[64] goes, i.e. 65 weights (the reference's <= rule)
    expect(zerosOf(model.getInitializer('w1')!.readFloat32())).toBe(65);
    expect(byName(t, 'w1')).toMatchObject({
      action: 'prune-magnitude',
      targetSparsity: 0.5,
      sparsity: 65 / 128,
      storage: 'dense',
      bytesAfter: 512,
    });
    expect(byName(t, 'emb').reason).toMatch(/embedding/);
    expect(byName(t, 'head').reason).toMatch(/output layer/);
    expect(byName(t, 'b1').reason).toMatch(/not a weight input/); // a bias
    expect(zerosOf(model.getInitializer('head')!.readFloat32())).toBe(0);
    expect(report.bitsPerWeight).toBe(32); // zeros kept dense: nothing saved by itself
    expect(report.notes.join('\n')).toMatch(/does not shrink by itself/);
  });

  it('per row and N:M, and --include names the head', async () => {
    const model = tinyLm();
    await new PruneCompressor().compress(
      model,
      params({ sparsity: '0.5', granularity: 'row', include: ['w1', 'head'] }),
      testContext(),
    );
    // w1 [8, 16]: each of 16 outputs keeps 4 of its 8 inputs
    expect(zerosOf(model.getInitializer('w1')!.readFloat32())).toBe(64);
    expect(zerosOf(model.getInitializer('head')!.readFloat32())).toBe(64);
    expect(zerosOf(model.getInitializer('w2')!.readFloat32())).toBe(0);
    const nm = tinyLm();
    await new PruneCompressor().compress(nm, params({ pattern: '2:4' }), testContext());
    const v = toRows(nm.getInitializer('w2')!.readFloat32(), [HIDDEN, DIM], 1);
    for (let i = 0; i < v.data.length; i += 4) expect(zerosOf(v.data.subarray(i, i + 4))).toBe(2);
  });

  it('Wanda scores with the norms of the captured activations, stage by stage', async () => {
    const windows = [
      [1, 2, 3, 4, 5],
      [3, 3, 9, 15, 0, 7],
    ];
    const model = tinyLm();
    const emb = model.getInitializer('emb')!.readFloat32();
    const w1 = model.getInitializer('w1')!.readFloat32();
    // w1's input is the embedding rows of the ids: ||X_j|| by hand
    const norms = Array.from({ length: DIM }, (_, j) =>
      Math.sqrt(windows.flat().reduce((s, id) => s + emb[id * DIM + j] ** 2, 0)),
    );
    const view = toRows(w1, [DIM, HIDDEN], 1);
    const expected = rowMask(wandaScores(view.data, HIDDEN, DIM, norms), HIDDEN, DIM, 0.5);
    const report = await new PruneCompressor().compress(
      model,
      params({ algo: 'wanda', sparsity: '0.5' }),
      testContext(feedsCalibration(windows)),
    );
    const got = toRows(model.getInitializer('w1')!.readFloat32(), [DIM, HIDDEN], 1).data;
    expected.forEach((m, i) => expect(got[i] === 0).toBe(m === 1));
    expect(byName(report.tensors as PruneTensorReport[], 'w1').outputError).toBeGreaterThan(0);
    expect(report.notes.join('\n')).toMatch(/calibrated sequentially in 2 stages on 2 samples/);
  });

  it('SparseGPT through the compressor: error below magnitude on the same calibration data', async () => {
    const windows = [
      [1, 2, 3, 4, 5, 6, 7, 8],
      [9, 10, 11, 12, 13, 14, 15, 0],
      [3, 1, 4, 1, 5, 9, 2, 6],
    ];
    const run = async (algo: string) => {
      const r = await new PruneCompressor().compress(
        tinyLm(),
        params({ algo, sparsity: '0.5', granularity: 'row' }),
        testContext(feedsCalibration(windows)),
      );
      return byName(r.tensors as PruneTensorReport[], 'w2').outputError as number;
    };
    expect(await run('sparsegpt')).toBeLessThan(await run('magnitude'));
  });

  it('refuses flags that would be ignored: --sparsity with --pattern, --ratio without channel, sparsegpt flags elsewhere (issue 17)', () => {
    const refused = (raw: Record<string, string>, message: RegExp) =>
      expect(() => params(raw)).toThrow(
        expect.objectContaining({ code: ErrorCodes.BAD_PARAM, exitCode: 2, message: expect.stringMatching(message) }),
      );
    refused({ sparsity: '0.3', pattern: '2:4' }, /--sparsity and --pattern cannot be given together/);
    refused(
      { ratio: '0.3' },
      /--ratio applies only with --algo channel, and --algo magnitude \(the default\) is in effect/,
    );
    refused({ algo: 'wanda', ratio: '0.3' }, /--ratio applies only with --algo channel, and --algo wanda is in effect/);
    refused({ algo: 'channel', sparsity: '0.3' }, /--sparsity applies only with --algo magnitude\|wanda\|sparsegpt/);
    refused({ algo: 'channel', pattern: '2:4' }, /--pattern applies only with/);
    refused({ damp: '0.1' }, /--damp applies only with --algo sparsegpt/);
    refused({ algo: 'channel', ratio: '1' }, /--ratio 1: would remove every output channel/);
    expect(params({ algo: 'channel', ratio: '0.5' }).ratio).toBe(0.5);
    expect(params({ pattern: '2:4' }).pattern).toBe('2:4');
  });

  it('refuses bad input with one UserError each', async () => {
    const c = new PruneCompressor();
    expect(() => params({ sparsity: '0.99' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_PARAM, message: expect.stringMatching(/--sparsity/) }),
    );
    // the pattern's syntax is checked with the flags, before any work (a sweep point included)
    expect(() => params({ pattern: '4:4' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_PARAM, message: expect.stringMatching(/below M/) }),
    );
    expect(() => params({ pattern: 'half' })).toThrow(
      expect.objectContaining({
        code: ErrorCodes.BAD_PARAM,
        message: expect.stringMatching(/--pattern half: must be N:M/),
      }),
    );
    await expect(c.compress(tinyLm(), params({ pattern: '3:16' }), testContext())).rejects.toMatchObject({
      code: ErrorCodes.BAD_PARAM,
      message: expect.stringMatching(/w1 has 8 inputs per output, not a multiple of 16/),
    });
    await expect(c.compress(tinyLm(), params({ algo: 'wanda' }), testContext())).rejects.toMatchObject({
      code: ErrorCodes.BAD_PARAM,
      message: expect.stringMatching(/needs calibration data/),
    });
    await expect(c.compress(tinyLm(), params({ algo: 'sparsegpt' }), testContext())).rejects.toMatchObject({
      code: ErrorCodes.BAD_PARAM,
      hint: expect.stringMatching(/--calib-dataset/),
    });
  });
});
