/**
 * int4 below opset 21 (--keep-opset): the reference kernel's codes stored two to a byte and
 * unpacked by integer ops. One table of weights in every layout the unpack must undo (rows padded
 * to whole blocks, [K, N] transposed, a Conv's 4-D shape, a rank-3 MatMul weight, odd zero-point
 * counts, float16), each checked three ways: the stored initializers and their bytes, the weight
 * onnxruntime decodes (a graph output) against dequantizeInt4(quantizeInt4Ref(...)) bit for bit,
 * and the tensor's bits per weight against the bytes its initializers really hold.
 */
import { DataType, type HostTensor, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { readDecodeRecords } from '../decode-records.js';
import { float32ToFloat16 as toFloat16Bits } from '@mc-kit/core';
import type { FloatType } from '../grid/float-types.js';
import { exposeTensor, runModel, seededWeights, testContext } from '../int8/testkit.fixture.js';
import { dequantizeInt4, quantizeInt4Ref, type BlockLayout, type Scheme } from './math.js';
import { quantizeInt4Weights } from './rewrite.js';

interface Case {
  name: string;
  opset: number;
  scheme: Scheme;
  blockSize: number;
  dims: number[];
  /** builds the consumer of weight `w`; returns the feeds */
  use: (g: GraphBuilder, w: string, type: DataType) => Record<string, HostTensor>;
  layout: BlockLayout;
  floatType?: FloatType;
}

const f32 = (dims: number[], seed: number): HostTensor => ({
  type: 'float32',
  dims,
  data: seededWeights(
    dims.reduce((a, b) => a * b, 1),
    seed,
  ),
});
const gemm = (transB: number, k: number) => (g: GraphBuilder, w: string, type: DataType) => {
  g.output(g.gemm(g.input('x', type, [2, k]), w, undefined, { transB }), type);
  return type === DataType.FLOAT16
    ? { x: { type: 'float16' as const, dims: [2, k], data: Uint16Array.from(seededWeights(2 * k, 3), toFloat16Bits) } }
    : { x: f32([2, k], 3) };
};

const CASES: Case[] = [
  {
    name: 'Gemm transB=1 [20, 72], K padded to 96, Slice attributes (opset 9)',
    opset: 9,
    scheme: 'sym',
    blockSize: 32,
    dims: [20, 72],
    use: gemmC(1, 72, 20),
    layout: { outer: 20, dim: 72, inner: 1 },
  },
  {
    name: 'the same at opset 11 (Slice inputs)',
    opset: 11,
    scheme: 'sym',
    blockSize: 32,
    dims: [20, 72],
    use: gemm(1, 72),
    layout: { outer: 20, dim: 72, inner: 1 },
  },
  {
    name: 'Gemm transB=0 [72, 24]: rows are columns, transposed back',
    opset: 11,
    scheme: 'asym',
    blockSize: 16,
    dims: [72, 24],
    use: gemm(0, 72),
    layout: { outer: 1, dim: 72, inner: 24 },
  },
  {
    name: 'Conv [12, 5, 3, 3] (opset 10): blocks along C·kh·kw = 45, reshaped to 4-D',
    opset: 10,
    scheme: 'sym',
    blockSize: 32,
    dims: [12, 5, 3, 3],
    use: (g, w) => {
      g.output(g.conv(g.input('x', DataType.FLOAT, [1, 5, 6, 6]), w), DataType.FLOAT);
      return { x: f32([1, 5, 6, 6], 4) };
    },
    layout: { outer: 12, dim: 45, inner: 1 },
  },
  {
    name: 'Gather [40, 48], asym, 80 zero points packed',
    opset: 13,
    scheme: 'asym',
    blockSize: 16,
    dims: [40, 48],
    use: (g, w) => {
      g.output(g.gather(w, g.input('ids', DataType.INT64, [3])), DataType.FLOAT);
      return { ids: { type: 'int64', dims: [3], data: BigInt64Array.of(0n, 39n, 7n) } };
    },
    layout: { outer: 40, dim: 48, inner: 1 },
  },
  {
    name: 'asym with an odd number of zero points (5 rows x 3 blocks): one byte each',
    opset: 12,
    scheme: 'asym',
    blockSize: 32,
    dims: [5, 96],
    use: gemm(1, 96),
    layout: { outer: 5, dim: 96, inner: 1 },
  },
  {
    name: 'a rank-3 MatMul weight [2, 40, 6]: [outer, inner, dim] transposed to [outer, dim, inner]',
    opset: 11,
    scheme: 'sym',
    blockSize: 16,
    dims: [2, 40, 6],
    use: (g, w) => {
      g.output(g.matMul(g.input('x', DataType.FLOAT, [2, 3, 40]), w), DataType.FLOAT);
      return { x: f32([2, 3, 40], 5) };
    },
    layout: { outer: 2, dim: 40, inner: 6 },
  },
  {
    name: 'float16 Gemm weight [8, 64]: float16 scales, the result cast to float16',
    opset: 13,
    scheme: 'sym',
    blockSize: 32,
    dims: [8, 64],
    use: gemm(1, 64),
    layout: { outer: 8, dim: 64, inner: 1 },
    floatType: 'float16',
  },
];

/** Gemm-9 needs its C input. */
function gemmC(transB: number, k: number, n: number) {
  return (g: GraphBuilder, w: string) => {
    const c = g.initializer('c', DataType.FLOAT, [n], seededWeights(n, 6));
    g.output(g.gemm(g.input('x', DataType.FLOAT, [2, k]), w, c, { transB }), DataType.FLOAT);
    return { x: f32([2, k], 3) };
  };
}

function build(c: Case): { model: OnnxModel; weights: Float32Array; feeds: Record<string, HostTensor> } {
  const g = new GraphBuilder({ opset: c.opset });
  const n = c.dims.reduce((a, b) => a * b, 1);
  const weights = seededWeights(n, 77, 0.4);
  const type = c.floatType === 'float16' ? DataType.FLOAT16 : DataType.FLOAT;
  const w = g.initializer('w', type, c.dims, weights); // float16: rounded by the builder
  const feeds = c.use(g, w, type);
  return { model: g.build(), weights, feeds };
}

describe("int4 nibbles: the reference codes, unpacked with integer ops at the model's opset", () => {
  it.each(CASES.map((c) => [c.name, c]))('%s', async (_name, c) => {
    const { model, feeds } = build(c);
    const floatType = c.floatType ?? 'float32';
    const stored = model.getInitializer('w')!.readFloat32(); // float16 weights: the values as stored
    const result = await quantizeInt4Weights(
      model,
      {
        scheme: c.scheme,
        blockSize: c.blockSize,
        accuracyLevel: 0,
        searchScale: false,
        minSize: 1,
        include: [],
        exclude: [],
        keepOpset: true,
      },
      testContext(),
    );
    expect(model.opset('')).toBe(c.opset);
    const [report] = result.tensors.filter((t) => t.name === 'w');
    expect(report.action).toBe('int4');

    // stored: the codes packed two per byte, rows padded to whole blocks; scales [R, KB, 1]
    const rows = c.layout.outer * c.layout.inner;
    const kBlocks = Math.ceil(c.layout.dim / c.blockSize);
    const codes = model.getInitializer('w_q4n')!;
    expect([codes.dataType, codes.dims, codes.byteLength]).toEqual([
      DataType.UINT8,
      [(rows * kBlocks * c.blockSize) / 2, 1],
      (rows * kBlocks * c.blockSize) / 2,
    ]);
    expect(model.getInitializer('w_scales')!.dims).toEqual([rows, kBlocks, 1]);
    expect(model.getInitializer('w_scales')!.dataType).toBe(
      floatType === 'float16' ? DataType.FLOAT16 : DataType.FLOAT,
    );
    const zp = model.getInitializer('w_zp4n');
    if (c.scheme === 'sym') expect(zp).toBeUndefined();
    else expect(zp!.byteLength).toBe((rows * kBlocks) % 2 === 0 ? (rows * kBlocks) / 2 : rows * kBlocks);
    expect(model.nodes.some((n) => n.opType === 'DequantizeLinear')).toBe(false);

    // bits per weight: every byte of the tensor's own initializers (codes, scales, zero points, shapes)
    const record = readDecodeRecords(model).w;
    const ownBytes = [record.codes, record.scales, record.zeroPoints, ...record.constants]
      .filter((x): x is string => !!x)
      .reduce((s, x) => s + model.getInitializer(x)!.byteLength, 0);
    expect(report.bitsPerWeight).toBe((8 * ownBytes) / report.elements);

    // decoded in onnxruntime == the reference's dequantized values, bit for bit
    const reference = dequantizeInt4(
      quantizeInt4Ref(stored, c.layout, { scheme: c.scheme, blockSize: c.blockSize, scaleType: floatType }),
      floatType,
    );
    exposeTensor(model, 'w', floatType === 'float16' ? DataType.FLOAT16 : DataType.FLOAT);
    const out = await runModel(model, feeds);
    if (floatType === 'float16')
      expect(Array.from(out.w.data as Uint16Array)).toEqual(Array.from(reference, toFloat16Bits));
    else expect(Array.from(out.w.data as Float32Array)).toEqual(Array.from(reference));
    expect(out.w.dims).toEqual(c.dims);
  });
});
