/**
 * Issue 16, "what must be shown": every compression method on every exporter's traits. Each of the
 * models in core's exporter-trait set (Paddle2ONNX opset 9 and 11 with Constant-node weights,
 * tf2onnx NHWC + Gemm, legacy PyTorch IR 3 with initializers as inputs, one weight shared by two
 * MatMuls, an If with weights in both branches) goes through the whole compress service with int8,
 * int4, hyper and magnitude pruning; the written file must pass core's validator and load in
 * onnxruntime (expectValidModel), the method must have rewritten at least one weight, and the
 * outputs must stay close to the dense model's on the model's own probe inputs (which, unlike
 * compress's random drift probes, know what the If model's bool input means).
 *
 * The bounds, per method, and why:
 * - int8: < 2 % relative L2 (the issue's figure; per-channel int8 of uniform weights is ~0.3 %).
 * - int4: < 15 %. Round-to-nearest with 16 levels per block of 32 has a relative step of about
 *   1/7.5 of a block's range; the quantization noise of one layer is ~6-8 % of its output on
 *   random inputs (plugins/quant's opsets test measures 7-8 % on a similar conv net), and these
 *   models have two or three quantized layers whose errors add in quadrature.
 * - hyper with --preset unet (l = 0.1, n = 225, M = 3): < 15 %, the same order as int4's 4-5 bits.
 * - prune --sparsity 0.1: < 10 % (the bound plugins/prune's exporter test derives).
 */
import { Registry, type CompressReport } from '@mc-kit/core';
import { compressExporterModel, expectValidModel, exporterModels, type ExporterModel } from '@mc-kit/core/testing';
import registerHyper from '../plugins/hyper/src/register.js';
import registerPrune from '../plugins/prune/src/register.js';
import registerQuant from '../plugins/quant/src/register.js';
import { testContext } from '../plugins/quant/src/int8/testkit.fixture.js';

let registry: Registry;
beforeAll(async () => {
  registry = new Registry();
  registry.addPlugin({ name: '@mc-kit/plugin-quant', version: '0.1.0' }, await registerQuant({}));
  registry.addPlugin({ name: '@mc-kit/plugin-hyper', version: '0.1.0' }, await registerHyper({}));
  registry.addPlugin({ name: '@mc-kit/plugin-prune', version: '0.1.0' }, await registerPrune({}));
});

interface MethodCase {
  readonly id: string;
  readonly params: Record<string, unknown>;
  /** the tensor report's action for a rewritten weight */
  readonly action: string;
  readonly bound: number;
}

const METHODS: readonly MethodCase[] = [
  { id: 'int8', params: {}, action: 'int8', bound: 0.02 },
  { id: 'int4', params: {}, action: 'int4', bound: 0.15 },
  { id: 'hyper', params: { preset: 'unet' }, action: 'hyper', bound: 0.15 },
  { id: 'prune', params: { sparsity: 0.1 }, action: 'prune-magnitude', bound: 0.1 },
];

const rewritten = (step: CompressReport, action: string) =>
  step.tensors.filter((t) => t.action === action).map((t) => t.name);

const cases = exporterModels().flatMap((m) =>
  METHODS.map((method) => [m.name, method.id, m, method] as [string, string, ExporterModel, MethodCase]),
);

describe('every method on every exporter trait: valid output, weights rewritten, close to dense', () => {
  it.each(cases)('%s, %s', async (_, __, m, method) => {
    const { result, output, relativeError } = await compressExporterModel(registry, testContext(), m, [
      { id: method.id, params: method.params },
    ]);
    await expectValidModel(output);
    expect(rewritten(result.steps[0], method.action).length).toBeGreaterThan(0);
    expect(relativeError).toBeGreaterThan(0); // something really changed
    expect(relativeError).toBeLessThan(method.bound);
    // int4 never stores int8 under its own name on these models (issue 16: every opset from 9)
    if (method.id === 'int4') expect(rewritten(result.steps[0], 'int8')).toEqual([]);
  });
});
