/**
 * Test helpers for int4 (excluded from the build): tiny models, and the reference "float model built
 * from the dequantized weights" that a quantized model must match. The reference reads the stored
 * tensors itself (math.ts / pack.ts dequantize), independently of decompress.ts.
 */
import { DataType, type NodeProto, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { dequantize } from '../int8/math.js';
import { cloneModel, seededWeights } from '../int8/testkit.fixture.js';
import type { FloatType } from '../grid/float-types.js';
import { readDecodeRecords } from '../decode-records.js';
import { dequantizeInt4, SYM_ZERO_POINT } from './math.js';
import { dequantizeBlockedDQ, unpackCodes, unpackMatMulNBits } from './pack.js';

const typeOf = (dt: DataType): FloatType =>
  dt === DataType.FLOAT ? 'float32' : dt === DataType.FLOAT16 ? 'float16' : 'bfloat16';
const attr = (n: NodeProto, name: string) => Number(n.attribute?.find((a) => a.name === name)?.i);
const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);

/** `original` with every weight that `quantized` stores in int4 (or int8 fallback) set to its dequantized values. */
export function denseReference(original: OnnxModel, quantized: OnnxModel): OnnxModel {
  const ref = cloneModel(original);
  const get = (name: string) => quantized.getInitializer(name)!;
  for (const node of quantized.nodes) {
    if (node.opType === 'MatMulNBits') {
      const [, b, s, z] = node.input!;
      const scales = get(s);
      const blocks = unpackMatMulNBits(
        {
          B: get(b).readTyped() as Uint8Array,
          scales: scales.readFloat32(),
          zeroPoints: z ? (get(z).readTyped() as Uint8Array) : undefined,
          K: attr(node, 'K'),
          N: attr(node, 'N'),
          blockSize: attr(node, 'block_size'),
        },
        typeOf(scales.dataType),
      );
      const weight = original.nodes.find((n) => n.name === node.name)!.input![1];
      ref.setInitializer(weight, scales.dataType, [attr(node, 'K'), attr(node, 'N')], dequantizeInt4(blocks));
    } else if (node.opType === 'DequantizeLinear') {
      const [qName, sName, zName] = node.input!;
      const q = get(qName);
      const s = get(sName);
      const out = node.output![0];
      const reshape = quantized.nodes.find((n) => n.opType === 'Reshape' && n.input![0] === out);
      const weight = reshape ? reshape.output![0] : out;
      const dims = original.getInitializer(weight)!.dims;
      let dense: Float32Array;
      if (q.dataType === DataType.INT4 || q.dataType === DataType.UINT4) {
        const axis = attr(node, 'axis');
        const layout = { outer: prod(q.dims.slice(0, axis)), dim: q.dims[axis], inner: prod(q.dims.slice(axis + 1)) };
        const zp = zName ? (get(zName).readTyped() as Uint8Array) : undefined;
        dense = dequantizeBlockedDQ(
          { codes: q.readTyped() as Int8Array, scales: s.readFloat32(), zeroPoints: zp },
          layout,
          attr(node, 'block_size'),
          typeOf(s.dataType),
        );
      } else {
        const z = get(zName).readTyped() as Int8Array;
        dense = dequantize(
          q.readTyped() as Int8Array,
          q.dims,
          s.readFloat32(),
          z,
          attr(node, 'axis'),
          typeOf(s.dataType),
        );
      }
      ref.setInitializer(weight, s.dataType, dims, dense);
    }
  }
  for (const [weight, r] of Object.entries(readDecodeRecords(quantized))) {
    const s = get(r.scales);
    let dense: Float32Array;
    if (r.form === 'nibbles') {
      const { outer, dim, inner } = r.layout!;
      const rows = outer * inner;
      const kBlocks = Math.ceil(dim / r.blockSize!);
      const zp = r.zeroPoints ? (get(r.zeroPoints).readTyped() as Uint8Array) : undefined;
      const zeroPoints = !zp
        ? new Uint8Array(rows * kBlocks).fill(SYM_ZERO_POINT)
        : r.zeroPointForm === 'nibbles'
          ? unpackCodes(zp, rows * kBlocks)
          : zp;
      const codes = unpackCodes(get(r.codes).readTyped() as Uint8Array, rows * kBlocks * r.blockSize!);
      dense = dequantizeInt4({
        scheme: zp ? 'asym' : 'sym',
        blockSize: r.blockSize!,
        layout: r.layout!,
        scaleType: r.floatType,
        rows,
        kBlocks,
        codes,
        scales: s.readFloat32(),
        zeroPoints,
        clipped: 0,
      });
    } else {
      const z = r.zeroPoints ? (get(r.zeroPoints).readTyped() as Uint8Array) : new Uint8Array(s.elementCount);
      dense = dequantize(get(r.codes).readTyped() as Int8Array, r.dims, s.readFloat32(), z, r.axis, r.floatType);
    }
    ref.setInitializer(weight, s.dataType, r.dims, dense);
  }
  return ref;
}

/**
 * x[3, 200] -> MatMul a[200, 96] -> Relu -> MatMul shared[96, 48] -> y1; the Relu output also goes
 * through MatMul shared again after an Add (a weight read by two MatMuls) -> y2. K = 200 is not a
 * multiple of 32, 64 or 128 (padding); K = 96 is.
 */
export function matmuls(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const F = DataType.FLOAT;
  const x = g.input('x', F, [3, 200]);
  const a = g.initializer('a', F, [200, 96], seededWeights(200 * 96, 81, 0.3));
  const shared = g.initializer('shared', F, [96, 48], seededWeights(96 * 48, 82, 0.5));
  const bias = g.initializer('bias', F, [96], seededWeights(96, 83, 0.1));
  const h = g.relu(g.matMul(x, a));
  g.output(g.matMul(h, shared), F, [3, 48]);
  g.output(g.matMul(g.add(h, bias), shared), F, [3, 48]);
  return g.build();
}

export const MATMULS_INPUT = { x: { type: 'float32' as const, data: seededWeights(600, 84, 2), dims: [3, 200] } };
