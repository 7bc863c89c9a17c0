/**
 * int4 on the shared language model (../shared/models/tiny-stdlib-lm, README: 17 MatMul weights
 * with their own initializers; transformer.wte.weight [4096, 256] and transformer.wpe.weight
 * [512, 256] feed only Gathers; opset 17 with And, Cast, Range, Slice, Split, ... in the graph).
 *
 * Expected, by hand from that table: the 17 MatMul weights (4,194,304 weights, every K a multiple
 * of 32) become MatMulNBits at exactly 5.0 bits per weight (sym, block 32, float32 scales). The two
 * embedding tables need opset 21 for a blocked DequantizeLinear: core's checked upgrade moves the
 * model there (no op of this export changed between 17 and 21; the same logits on probe inputs), and they are
 * blocked along their 256 columns, 5.0 bits too. Without them (--exclude) the step is 5.0 bits per
 * weight at block 32 and 4.25 at block 128, and the opset stays 17.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxModel, parseParams } from '@mc-kit/core';
import { relativeMaxDiff, runModel, testContext } from '../int8/testkit.fixture.js';
import { INT4_PARAMS, Int4Compressor } from './plugin.js';
import { denseReference } from './testkit.fixture.js';

/** The shared assets folder sits beside the repo (../shared from the repo root). */
const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..', '../shared');
const MODEL = join(SHARED, 'models/tiny-stdlib-lm/model.onnx');
const present = existsSync(MODEL);
if (!present)
  console.warn(
    `int4 tiny-stdlib-lm test skipped: ${MODEL} is absent (the shared folder sits beside the repo, at ../shared)`,
  );

const MATMULS = [
  ...[0, 1, 2, 3].flatMap((i) =>
    ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'].map((w) => `transformer.h.${i}.${w}.weight`),
  ),
  'lm_head.weight',
];
const T = 96;
const FEEDS = {
  input_ids: {
    type: 'int64' as const,
    data: BigInt64Array.from({ length: T }, (_, i) => BigInt((i * 811) % 4095)),
    dims: [1, T],
  },
  attention_mask: { type: 'int64' as const, data: new BigInt64Array(T).fill(1n), dims: [1, T] },
};

(present ? describe : describe.skip)('int4 on tiny-stdlib-lm', () => {
  it('block 32: 17 MatMulNBits and 2 blocked embeddings at 5.0 bits (opset raised to 21, said), runs in onnxruntime like the dequantized float model', async () => {
    const original = await OnnxModel.load(MODEL);
    const model = await OnnxModel.load(MODEL);
    const report = await new Int4Compressor().compress(model, parseParams(INT4_PARAMS, {}, 'int4'), testContext());

    const int4 = report.tensors.filter((t) => t.action === 'int4');
    expect(int4.map((t) => t.name).sort()).toEqual(
      [...MATMULS, 'transformer.wte.weight', 'transformer.wpe.weight'].sort(),
    );
    expect(int4.reduce((s, t) => s + t.elements, 0)).toBe(5373952);
    for (const t of int4) expect(t.bitsPerWeight).toBe(5);
    expect(report.bitsPerWeight).toBe(5);
    expect(model.nodes.filter((n) => n.opType === 'MatMulNBits')).toHaveLength(17);
    expect(
      model.nodes
        .filter((n) => n.opType === 'DequantizeLinear')
        .map((n) => n.output![0])
        .sort(),
    ).toEqual(['transformer.wpe.weight', 'transformer.wte.weight']);
    expect(model.nodes.filter((n) => n.opType === 'MatMul').some((n) => model.getInitializer(n.input![1]))).toBe(false); // attention's MatMuls stay
    expect(model.opset('')).toBe(21);
    expect(report.notes.join('\n')).toMatch(
      /raised the opset from 17 to 21 for blocked int4 DequantizeLinear \(no op needed rewriting; outputs equal on 3 probe inputs\)/,
    );
    expect(report.tensors.filter((t) => t.action === 'int8')).toHaveLength(0);

    const dir = await mkdtemp(join(tmpdir(), 'mc-int4-lm-'));
    try {
      await model.save(join(dir, 'model.onnx'));
      const bytes = (await stat(join(dir, 'model.onnx'))).size;
      // 3,717,615 bytes measured (onnxruntime-node 1.30), against 21,850,774 dense: 5.9x smaller
      // (5,373,952 weights at 5 bits = 3,358,720 bytes, plus the float biases and norms)
      expect(bytes).toBeGreaterThan(3.6e6);
      expect(bytes).toBeLessThan(3.8e6);
      const loaded = await OnnxModel.load(join(dir, 'model.onnx'));
      const [got, want] = await Promise.all([
        runModel(loaded, FEEDS),
        runModel(denseReference(original, loaded), FEEDS),
      ]);
      const logits = got.logits.data as Float32Array;
      expect(logits).toHaveLength(T * 4096);
      expect(logits.every(Number.isFinite)).toBe(true);
      expect(relativeMaxDiff(logits, want.logits.data as Float32Array)).toBeLessThanOrEqual(1e-5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('block 128 without the embeddings (--exclude): exactly 4.25 bits per weight', async () => {
    const params = parseParams(
      INT4_PARAMS,
      { exclude: 'transformer.wte.weight,transformer.wpe.weight', 'block-size': '128' },
      'int4',
    );
    const report = await new Int4Compressor().compress(await OnnxModel.load(MODEL), params, testContext());
    expect(report.tensors.filter((t) => t.action === 'int4')).toHaveLength(17);
    expect(report.tensors.filter((t) => t.action === 'int8')).toHaveLength(0);
    expect(report.bitsPerWeight).toBe(4.25); // 4 + 32 / 128
    expect(report.notes.join('\n')).not.toMatch(/raised|kept opset/); // MatMulNBits needs no default-domain change
  });
});
