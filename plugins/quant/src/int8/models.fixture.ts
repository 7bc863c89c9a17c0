/**
 * Tiny real ONNX models for the int8 tests, built with @mc-kit/core's GraphBuilder. Sizes are picked
 * around the default --min-size (1024) so one model exercises quantize and skip together.
 */
import { DataType, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { seededWeights } from './testkit.fixture.js';

/**
 * x[2,8] -> MatMul w1[8,160] (+ b1) -> Relu -> Gemm w2[16,160] transB=1 (+ b2) -> Gemm w3[16,64]
 * transB=0 -> MatMul w4[64,4] -> y[2,4].
 * With the defaults: w1 (axis 1), w2 (axis 0), w3 (axis 1, exactly 1024 elements) are quantized;
 * b1, b2 (biases) and w4 (256 elements) stay float.
 */
export function mlp(options: { opset?: number; irVersion?: number; w3?: Float32Array } = {}): OnnxModel {
  const g = new GraphBuilder({ opset: options.opset ?? 17, irVersion: options.irVersion });
  const F = DataType.FLOAT;
  const x = g.input('x', F, [2, 8]);
  const w1 = g.initializer('w1', F, [8, 160], seededWeights(8 * 160, 1));
  const b1 = g.initializer('b1', F, [160], seededWeights(160, 2, 0.1));
  const h1 = g.relu(g.add(g.matMul(x, w1), b1));
  const w2 = g.initializer('w2', F, [16, 160], seededWeights(16 * 160, 3, 0.2));
  const b2 = g.initializer('b2', F, [16], seededWeights(16, 4, 0.1));
  const h2 = g.gemm(h1, w2, b2, { transB: 1 });
  const w3 = g.initializer('w3', F, [16, 64], options.w3 ?? seededWeights(16 * 64, 5, 0.5));
  const h3 = g.gemm(h2, w3, undefined, { transB: 0 });
  const w4 = g.initializer('w4', F, [64, 4], seededWeights(64 * 4, 6));
  g.output(g.matMul(h3, w4), F, [2, 4]);
  return g.build();
}

export const MLP_INPUT = { x: { type: 'float32' as const, data: seededWeights(16, 99, 2), dims: [2, 8] } };

/** x[1,3,8,8] -> Conv w[64,3,3,3] (+ bias[64], pads 1) -> GlobalAveragePool -> Flatten -> y[1,64]. */
export function convNet(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const F = DataType.FLOAT;
  const x = g.input('x', F, [1, 3, 8, 8]);
  const w = g.initializer('conv.weight', F, [64, 3, 3, 3], seededWeights(64 * 27, 11, 0.3));
  const b = g.initializer('conv.bias', F, [64], seededWeights(64, 12, 0.1));
  const y = g.flatten(g.globalAveragePool(g.relu(g.conv(x, w, b, { pads: [1, 1, 1, 1], kernelShape: [3, 3] }))));
  g.output(y, F, [1, 64]);
  return g.build();
}

export const CONV_INPUT = { x: { type: 'float32' as const, data: seededWeights(3 * 64, 98), dims: [1, 3, 8, 8] } };

/**
 * Tied embeddings: ids[5] -> Gather(emb[100,16]) -> [5,16] -> Gemm(., emb, transB=1) -> logits[5,100].
 * Both consumers read emb as a weight with output channel 0 (a token row), so one
 * DequantizeLinear serves both.
 */
export function tiedEmbedding(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const ids = g.input('ids', DataType.INT64, [5]);
  const emb = g.initializer('emb', DataType.FLOAT, [100, 16], seededWeights(1600, 21));
  const h = g.gather(emb, ids);
  g.output(g.gemm(h, emb, undefined, { transB: 1 }), DataType.FLOAT, [5, 100]);
  return g.build();
}

export const TIED_INPUT = {
  ids: { type: 'int64' as const, data: BigInt64Array.from([0n, 7n, 42n, 99n, 7n]), dims: [5] },
};

/** x[2,32] float16 -> MatMul w[32,64] float16 -> y[2,64] float16 (opset 17: int8 must raise it to 19). */
export function float16MatMul(): { model: OnnxModel; weights: Float32Array } {
  const g = new GraphBuilder({ opset: 17 });
  const weights = seededWeights(32 * 64, 31, 0.7);
  const x = g.input('x', DataType.FLOAT16, [2, 32]);
  const w = g.initializer('w', DataType.FLOAT16, [32, 64], weights); // rounded to float16 by the builder
  g.output(g.matMul(x, w), DataType.FLOAT16, [2, 64]);
  return { model: g.build(), weights };
}
