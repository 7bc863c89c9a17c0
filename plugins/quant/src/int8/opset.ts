/**
 * Raising a model's default-domain opset so per-axis DequantizeLinear (opset 13; float16/bfloat16
 * output: opset 19) is valid. Raising re-reads every node at the new version, so it is allowed only
 * when every op in the graph is one whose meaning for an existing model did not change in between.
 *
 * SEMANTIC_CHANGES lists, per op, the opset versions (up to 21) at which an existing model's meaning
 * or validity changed: attributes turned into inputs, broadcasting rules, axis semantics. Versions
 * that only added types (bfloat16, int8, ...) or added attributes whose defaults keep the old
 * behaviour are left out. An op not listed is refused: better a clear error than a silent change.
 * Source: onnx/docs/Changelog.md. Opsets 20 and 21 changed none of the ops listed except by adding
 * types (int4/uint4/float8 for Reshape, Flatten, Transpose, Shape, Identity), so the table holds
 * up to 21, the opset int4's blocked DequantizeLinear needs.
 */
import { ErrorCodes, UserError, type NodeProto } from '@mc-kit/core';

const SEMANTIC_CHANGES: Readonly<Record<string, readonly number[]>> = Object.freeze({
  // elementwise: v6 dropped consumed_inputs, v7 replaced the broadcast/axis attributes by numpy broadcasting
  Add: [6, 7],
  Sub: [6, 7],
  Mul: [6, 7],
  Div: [6, 7],
  Abs: [6],
  Neg: [6],
  Exp: [6],
  Log: [6],
  Sqrt: [6],
  Reciprocal: [6],
  Relu: [6],
  LeakyRelu: [6],
  Sigmoid: [6],
  Tanh: [6],
  HardSigmoid: [6],
  HardSwish: [],
  Erf: [],
  // linear algebra and convolution
  MatMul: [],
  Gemm: [6, 7], // v11 only made C optional
  Conv: [11],
  // pooling: v7 count_include_pad, v10 ceil_mode, v11 pads/auto_pad clarifications
  MaxPool: [8, 10, 11],
  AveragePool: [7, 10, 11],
  GlobalAveragePool: [],
  GlobalMaxPool: [],
  // shape and data movement
  Gather: [11], // negative indices
  Reshape: [5], // shape became an input
  Flatten: [11],
  Transpose: [],
  Identity: [],
  Concat: [4, 11],
  Shape: [],
  Expand: [],
  Where: [],
  // Softmax/LogSoftmax changed meaning at 13 (axis no longer flattens the trailing dims)
  Softmax: [11, 13],
  LogSoftmax: [11, 13],
  LayerNormalization: [],
  // v13 added per-axis scales (axis defaults to 1, and a scalar scale still means per tensor);
  // v19 and v21 added types and block_size (default 0: not blocked). Listed so int4 can follow int8.
  DequantizeLinear: [],
});

/** The IR version that introduced each opset int8 and int4 may raise to (onnx/docs/Versioning.md). */
export const MIN_IR_VERSION: Readonly<Record<number, number>> = Object.freeze({ 13: 7, 19: 9, 21: 10 });

/** Ops (default domain) that would read differently at `to` than at `from`, or that are not in the table. */
export function opsBlockingUpgrade(nodes: readonly NodeProto[], from: number, to: number): string[] {
  const blocking = new Set<string>();
  for (const node of nodes) {
    const domain = node.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx') continue; // other domains version independently
    const op = node.opType ?? '';
    const changes = SEMANTIC_CHANGES[op];
    if (!changes || changes.some((v) => v > from && v <= to)) blocking.add(op);
  }
  return [...blocking].sort();
}

/**
 * Make the default-domain opset at least `required`; returns a note when it was raised, nothing
 * when it already was high enough. Throws E_UNSUPPORTED naming the ops that stand in the way.
 */
export function ensureOpset(
  current: number | undefined,
  required: number,
  nodes: readonly NodeProto[],
  why: string,
): { raise: boolean; note?: string } {
  const from = current ?? 1;
  if (from >= required) return { raise: false };
  const blocking = opsBlockingUpgrade(nodes, from, required);
  if (blocking.length > 0) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `int8 needs default-domain opset ${required} (${why}) but the model is at opset ${from}, and ${blocking.join(', ')} cannot be moved to opset ${required} without checking that its meaning is unchanged`,
      { hint: `re-export the model at opset ${required} or later (e.g. torch.onnx.export(..., opset_version=${required})), then run mc compress again` },
    );
  }
  return { raise: true, note: `raised the default-domain opset from ${from} to ${required} (${why}); every op in the graph means the same at ${required}` };
}
