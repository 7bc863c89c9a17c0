/**
 * MatMulNBits and blocked DequantizeLinear layouts, byte for byte. The weights are built ON the
 * grid (w = (q - zp) * s with chosen codes and power-of-two scales, each block holding its extreme
 * code), so quantizing gives back exactly those codes and any packing slip shows in the bytes
 * (as onnxruntime's test_op_matmul_4bits.py does). onnxruntime then reads the packed weight back.
 */
import { DataType } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { runModel, testContext } from '../int8/testkit.fixture.js';
import { dequantizeInt4, quantizeInt4Ref } from './math.js';
import { dequantizeBlockedDQ, packMatMulNBits, toBlockedDQ, unpackMatMulNBits } from './pack.js';
import { quantizeInt4Weights, type Int4Options } from './rewrite.js';

const opts = (o: Partial<Int4Options> = {}): Int4Options => ({
  scheme: 'sym',
  blockSize: 16,
  accuracyLevel: 0,
  searchScale: false,
  minSize: 1,
  include: [],
  exclude: [],
  ...o,
});

// Codes by output column n (rows of MatMulNBits), K = 20 with block 16: block 1 has 4 codes and 12 of padding.
const K = 20;
const CODES = [
  [15, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, /* block 1 */ 1, 9, 8, 15],
  [8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 1, /* block 1 */ 2, 3, 14, 15],
];
const SCALES = [
  [0.5, 0.25],
  [2, 0.125],
]; // [n][block]
/** W [K, N] on the symmetric grid: (q - 8) * s. */
const onGrid = (): Float32Array =>
  Float32Array.from({ length: K * 2 }, (_, i) => {
    const [k, n] = [Math.floor(i / 2), i % 2];
    return (CODES[n][k] - 8) * SCALES[n][Math.floor(k / 16)];
  });

describe('MatMulNBits packing', () => {
  it('writes B [N, k_blocks, block_size/2] with the even K index in the low nibble, padding 8', () => {
    const q = quantizeInt4Ref(onGrid(), { outer: 1, dim: K, inner: 2 }, { scheme: 'sym', blockSize: 16 });
    const t = packMatMulNBits(q);
    expect([t.N, t.K, t.kBlocks, t.blockSize, t.zeroPoints]).toEqual([2, 20, 2, 16, undefined]);
    expect(Array.from(t.scales)).toEqual([0.5, 0.25, 2, 0.125]);
    // prettier-ignore
    expect(Array.from(t.B)).toEqual([
      0x1f, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, // n 0, block 0: (15, 1) (2, 3) ... (14, 15)
      0x91, 0xf8, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, // n 0, block 1: (1, 9) (8, 15), then padding
      0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x18, // n 1, block 0: ... (8, 1)
      0x32, 0xfe, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, // n 1, block 1: (2, 3) (14, 15), then padding
    ]);
    expect(unpackMatMulNBits({ ...t, blockSize: 16 }, 'float32')).toEqual({ ...q, clipped: 0 });
  });

  it('packs asymmetric zero points [N * ceil(k_blocks/2)], low nibble first, each row on a fresh byte', () => {
    // K 48, block 16: 3 blocks per column. Zero points by [n][block]; each block holds codes 0 and 15.
    const zps = [
      [3, 12, 7],
      [0, 15, 9],
    ];
    const scales = [
      [0.25, 1, 0.5],
      [2, 0.125, 4],
    ];
    const w = Float32Array.from({ length: 48 * 2 }, (_, i) => {
      const [k, n] = [Math.floor(i / 2), i % 2];
      const b = Math.floor(k / 16);
      const code = k % 16 === 0 ? 0 : k % 16 === 1 ? 15 : (k * 5 + n) % 16;
      return (code - zps[n][b]) * scales[n][b];
    });
    const q = quantizeInt4Ref(w, { outer: 1, dim: 48, inner: 2 }, { scheme: 'asym', blockSize: 16 });
    const t = packMatMulNBits(q);
    expect(Array.from(q.zeroPoints)).toEqual([3, 12, 7, 0, 15, 9]);
    expect(Array.from(t.zeroPoints!)).toEqual([0xc3, 0x07, 0xf0, 0x09]);
    expect(Array.from(t.scales)).toEqual([0.25, 1, 0.5, 2, 0.125, 4]);
    expect(t.B[0]).toBe(0xf0); // column 0, k 0 and 1: codes 0 and 15
    expect(unpackMatMulNBits({ ...t, blockSize: 16 }, 'float32')).toEqual(q);
  });

  it.each(['sym', 'asym'] as const)(
    'onnxruntime reads the %s packed weight back as math.ts dequantizes it, bit for bit',
    async (scheme) => {
      // A = identity [K, K]: MatMulNBits(A) = dequant(B)^T exactly (products by 1, sums of zeros).
      const g = new GraphBuilder({ opset: 17 });
      const a = g.input('a', DataType.FLOAT, [K, K]);
      const w = g.initializer('w', DataType.FLOAT, [K, 2], onGrid());
      g.output(g.matMul(a, w), DataType.FLOAT, [K, 2]);
      const model = g.build();
      await quantizeInt4Weights(model, opts({ scheme }), testContext());
      expect(model.nodes.map((n) => n.opType)).toEqual(['MatMulNBits']);
      const identity = Float32Array.from({ length: K * K }, (_, i) => (i % (K + 1) === 0 ? 1 : 0));
      const out = await runModel(model, { a: { type: 'float32', data: identity, dims: [K, K] } });
      const expected = dequantizeInt4(
        quantizeInt4Ref(onGrid(), { outer: 1, dim: K, inner: 2 }, { scheme, blockSize: 16 }),
      );
      expect(out[model.outputs[0].name!].data).toEqual(expected);
      if (scheme === 'sym') expect(expected).toEqual(onGrid()); // on the grid, dequant(quant(w)) = w
    },
  );
});

describe('blocked DequantizeLinear layout', () => {
  it('keeps the weight layout for codes and cuts the blocked axis to k_blocks for scales', () => {
    // Gemm weight [N=2, K=20] (transB=1) blocked along axis 1: rows are contiguous.
    const wt = Float32Array.from({ length: 2 * K }, (_, i) => onGrid()[(i % K) * 2 + Math.floor(i / K)]);
    const q = quantizeInt4Ref(wt, { outer: 2, dim: K, inner: 1 }, { scheme: 'sym', blockSize: 16 });
    const t = toBlockedDQ(q);
    expect(Array.from(t.codes)).toEqual(CODES.flat().map((c) => c - 8)); // int4 q, no padding
    expect(Array.from(t.scales)).toEqual([0.5, 0.25, 2, 0.125]); // [2, 2]
    expect(t.zeroPoints).toBeUndefined();
    expect(dequantizeBlockedDQ(t, q.layout, 16, 'float32')).toEqual(wt);
  });

  it('orders scales [outer, k_blocks, inner] when the blocked axis is not the last', () => {
    // MatMul weight [K=20, N=2] blocked along axis 0: scales [2, 2] = [block][n].
    const q = quantizeInt4Ref(onGrid(), { outer: 1, dim: K, inner: 2 }, { scheme: 'asym', blockSize: 16 });
    const t = toBlockedDQ(q);
    expect(Array.from(t.scales)).toEqual([q.scales[0], q.scales[2], q.scales[1], q.scales[3]]);
    expect(Array.from(t.zeroPoints!)).toEqual([q.zeroPoints[0], q.zeroPoints[2], q.zeroPoints[1], q.zeroPoints[3]]);
    expect(dequantizeBlockedDQ(t, q.layout, 16, 'float32')).toEqual(dequantizeInt4(q));
  });
});
