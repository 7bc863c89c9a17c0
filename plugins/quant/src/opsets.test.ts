/**
 * int8 and int4 on the small conv net exporters write at every opset (Conv, BatchNormalization,
 * Clip, an upsampling Resize (Upsample at 9), a second Conv, GlobalAveragePool, a Gemm head and
 * Softmax), at opsets 9, 10, 11, 13 and 21, by default (the standard form, the model raised by
 * core's checked upgrade) and with --keep-opset (a decode at the model's own opset). Each output:
 * loads and runs in onnxruntime; int8 stays within 2 % of the dense logits on seeded random
 * probes; int4 stores 4-bit codes for both Conv weights and the Gemm weight (the initializers and
 * their bytes); and the step's bits per weight is what its initializers hold, byte for byte.
 */
import { DataType, type HostTensor, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder, attr, probeFeeds } from '@mc-kit/core/testing';
import { quantizeInt4Weights } from './int4/rewrite.js';
import { quantizeWeights } from './int8/rewrite.js';
import { cloneModel, exposeTensor, runModel, seededWeights, testContext } from './int8/testkit.fixture.js';

const F = DataType.FLOAT;
const WEIGHTS = { 'conv1.weight': [32, 3, 3, 3], 'conv2.weight': [32, 32, 3, 3], 'fc.weight': [64, 32] } as const;

/** x[1,3,16,16] -> Conv -> BN -> Clip(0,6) -> 2x nearest -> Conv/2 -> Relu -> GAP -> Flatten -> Gemm -> Softmax. */
function convNet(opset: number): OnnxModel {
  const g = new GraphBuilder({ opset, irVersion: opset >= 11 ? 6 : 4 });
  const x = g.input('x', F, ['n', 3, 16, 16]);
  const w = (name: keyof typeof WEIGHTS, seed: number, scale: number) =>
    g.initializer(
      name,
      F,
      [...WEIGHTS[name]],
      seededWeights(
        WEIGHTS[name].reduce((a, b) => a * b, 1),
        seed,
        scale,
      ),
    );
  const vec = (name: string, seed: number, scale: number, offset = 0) =>
    g.initializer(
      name,
      F,
      [32],
      seededWeights(32, seed, scale).map((v) => v + offset),
    );
  let h = g.conv(x, w('conv1.weight', 1, 0.3), vec('conv1.bias', 2, 0.1), { pads: [1, 1, 1, 1] });
  h = g.node('BatchNormalization', [
    h,
    vec('bn.scale', 3, 0.2, 1),
    vec('bn.bias', 4, 0.1),
    vec('bn.mean', 5, 0.1),
    vec('bn.var', 6, 0.2, 1),
  ])[0];
  h =
    opset < 11
      ? g.node('Clip', [h], { min: attr.float(0), max: attr.float(6) })[0]
      : g.node('Clip', [
          h,
          g.initializer('zero', F, [], Float32Array.of(0)),
          g.initializer('six', F, [], Float32Array.of(6)),
        ])[0];
  const scales = g.initializer('scales', F, [4], Float32Array.of(1, 1, 2, 2));
  h =
    opset === 9
      ? g.node('Upsample', [h, scales], { mode: 'nearest' })[0]
      : opset === 10
        ? g.node('Resize', [h, scales], { mode: 'nearest' })[0]
        : g.node('Resize', [h, g.initializer('roi', F, [0], new Float32Array(0)), scales], {
            mode: 'nearest',
            coordinate_transformation_mode: 'asymmetric',
            nearest_mode: 'floor',
          })[0];
  h = g.relu(g.conv(h, w('conv2.weight', 7, 0.1), vec('conv2.bias', 8, 0.1), { pads: [1, 1, 1, 1], strides: [2, 2] }));
  const fcBias = g.initializer('fc.bias', F, [64], seededWeights(64, 9, 0.1));
  const logits = g.gemm(g.flatten(g.globalAveragePool(h)), w('fc.weight', 10, 0.3), fcBias, { transB: 1 });
  g.output(g.node('Softmax', [logits], { axis: 1 })[0], F);
  return g.build();
}

const SELECT = { minSize: 512, include: [], exclude: [] };

/** The logits (Gemm output) of a model on feeds, exposed as an output. */
async function logits(model: OnnxModel, feeds: Record<string, HostTensor>): Promise<Float32Array> {
  const m = cloneModel(model);
  const name = m.nodes.find((n) => n.opType === 'Gemm')!.output![0];
  exposeTensor(m, name, F);
  return (await runModel(m, feeds))[name].data as Float32Array;
}

const l2 = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
const relativeL2 = (a: Float32Array, b: Float32Array) => l2(a.map((v, i) => v - b[i])) / l2(b);

/** Bytes of every initializer a method stored for the weights (`<weight>_...`) and the shared int4 scalars. */
function storedBytes(model: OnnxModel): number {
  const mine = (n: string) => Object.keys(WEIGHTS).some((w) => n.startsWith(`${w}_`)) || n.startsWith('mc_int4_');
  return model
    .initializerNames()
    .filter(mine)
    .reduce((s, n) => s + model.getInitializer(n)!.byteLength, 0);
}

const ELEMENTS = Object.values(WEIGHTS).reduce((s, d) => s + d.reduce((a, b) => a * b, 1), 0);

describe.each([9, 10, 11, 13, 21])('conv net at opset %i', (opset) => {
  const feeds = probeFeeds(convNet(opset), 3, 11);

  it.each([false, true])(
    'int8 (--keep-opset %s): runs, logits within 2 % of dense, bits as stored',
    async (keepOpset) => {
      const model = convNet(opset);
      const result = await quantizeWeights(
        model,
        { scheme: 'sym', granularity: 'channel', keepOpset, ...SELECT },
        testContext(),
      );
      expect(
        result.tensors
          .filter((t) => t.action === 'int8')
          .map((t) => t.name)
          .sort(),
      ).toEqual(Object.keys(WEIGHTS).sort());
      expect(model.opset('')).toBe(keepOpset ? opset : Math.max(opset, 13));
      expect(model.nodes.filter((n) => n.opType === 'DequantizeLinear')).toHaveLength(model.opset('')! >= 13 ? 3 : 0);
      for (const name of Object.keys(WEIGHTS)) expect(model.getInitializer(`${name}_q`)!.dataType).toBe(DataType.INT8);
      expect(result.bitsPerWeight! * ELEMENTS).toBeCloseTo(8 * storedBytes(model), 6);
      for (const f of feeds)
        expect(relativeL2(await logits(model, f), await logits(convNet(opset), f))).toBeLessThan(0.02);
    },
  );

  it.each([false, true])(
    'int4 (--keep-opset %s): 4-bit codes for both Convs and the Gemm, bits as stored, runs',
    async (keepOpset) => {
      const model = convNet(opset);
      const result = await quantizeInt4Weights(
        model,
        { scheme: 'sym', blockSize: 32, accuracyLevel: 0, searchScale: false, keepOpset, ...SELECT },
        testContext(),
      );
      expect(
        result.tensors
          .filter((t) => t.action === 'int4')
          .map((t) => t.name)
          .sort(),
      ).toEqual(Object.keys(WEIGHTS).sort());
      const blocked = model.opset('')! >= 21;
      expect(model.opset('')).toBe(keepOpset ? opset : 21);
      for (const [name, dims] of Object.entries(WEIGHTS)) {
        const n = dims.reduce((a, b) => a * b, 1);
        const rowLength = dims.slice(1).reduce((a, b) => a * b, 1); // blocks along C·kh·kw (Conv), K (Gemm transB=1)
        const padded = dims[0] * Math.ceil(rowLength / 32) * 32;
        const codes = model.getInitializer(blocked ? `${name}_q4` : `${name}_q4n`)!;
        if (blocked) expect([codes.dataType, codes.byteLength]).toEqual([DataType.INT4, n / 2]);
        else expect([codes.dataType, codes.byteLength]).toEqual([DataType.UINT8, padded / 2]);
        expect(model.getInitializer(name)).toBeUndefined();
      }
      expect(result.tensors.some((t) => t.action === 'int8')).toBe(false);
      expect(result.bitsPerWeight! * ELEMENTS).toBeCloseTo(8 * storedBytes(model), 6);
      for (const f of feeds)
        expect(relativeL2(await logits(model, f), await logits(convNet(opset), f))).toBeLessThan(0.1);
    },
  );
});
