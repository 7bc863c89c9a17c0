/** --store sparse: smaller file, and onnxruntime-node loads it and computes what the dense pruned model does. */
import { parseParams } from '@mc-kit/core';
import { PRUNE_PARAMS } from '../options.js';
import { PruneCompressor } from '../plugin.js';
import type { PruneTensorReport } from '../report.js';
import { idsTensor, runOnce, testContext, tinyLm } from '../testkit.fixture.js';
import { sparseBytes } from './sparse.js';

const params = (raw: Record<string, unknown>) =>
  parseParams(PRUNE_PARAMS, { 'min-size': '1', granularity: 'row', ...raw }, 'prune');

describe('--store sparse', () => {
  it('sizes: a value plus the narrowest index per non-zero', () => {
    expect(sparseBytes(128, 10, 4)).toMatchObject({ bytes: 50 }); // int8 indices
    expect(sparseBytes(1000, 10, 4)).toMatchObject({ bytes: 60 }); // int16
    expect(sparseBytes(1 << 20, 10, 4)).toMatchObject({ bytes: 80 }); // int32
  });

  it('stores pruned tensors as sparse_initializers that onnxruntime loads, with identical outputs', async () => {
    const dense = tinyLm();
    const sparse = tinyLm();
    await new PruneCompressor().compress(dense, params({ sparsity: '0.75' }), testContext());
    const report = await new PruneCompressor().compress(
      sparse,
      params({ sparsity: '0.75', store: 'sparse' }),
      testContext(),
    );
    const w1 = report.tensors.find((t) => t.name === 'w1') as PruneTensorReport;
    // 128 weights, 32 non-zeros: 32 x (4 + 1) = 160 bytes instead of 512
    expect(w1).toMatchObject({ storage: 'sparse', bytesBefore: 512, bytesAfter: 160 });
    expect(sparse.getInitializer('w1')).toBeUndefined();
    expect(sparse.proto.graph!.sparseInitializer!.map((s) => s.values!.name)).toEqual(['w1', 'w2']);
    expect(sparse.toBytes().length).toBeLessThan(dense.toBytes().length - 600);
    const feeds = { ids: idsTensor([1, 5, 9, 2]) };
    expect(Array.from((await runOnce(sparse, feeds)).data as Float32Array)).toEqual(
      Array.from((await runOnce(dense, feeds)).data as Float32Array),
    );
  });

  it('keeps a tensor dense where sparse would not be smaller', async () => {
    // 13 of 128 pruned: 115 x (4 + 1) = 575 bytes > 512 dense
    const model = tinyLm();
    const report = await new PruneCompressor().compress(
      model,
      params({ sparsity: '0.1', granularity: 'layer', store: 'sparse' }),
      testContext(),
    );
    expect(report.tensors.filter((t) => (t as PruneTensorReport).storage === 'sparse')).toEqual([]);
    expect(report.notes.join('\n')).toMatch(/all stay dense/);
  });
});
