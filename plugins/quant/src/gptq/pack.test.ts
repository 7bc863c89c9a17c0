import { DataType, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { sessions } from '../int8/testkit.fixture.js';
import { packMatMulNBits } from '../int4/pack.js';
import { dequantizeGrouped } from './decompress.js';
import { rtnQuantize, type GridOptions } from './math.js';
import { ORT_CPU_NBITS, packBits, packGptq, unpackGptq } from './pack.js';

/** K = 40 (not a multiple of the group: padding), N = 3, values on and off the grid. */
const K = 40;
const N = 3;
const w = Float32Array.from({ length: K * N }, (_, i) => Math.sin(i * 0.7) * (1 + (i % 4)));

describe('packBits', () => {
  it("at 4 bits writes the bytes of int4's MatMulNBits packer (lower K index in the low nibble)", () => {
    for (const scheme of ['sym', 'asym'] as const) {
      const c = rtnQuantize(w, K, N, { bits: 4, scheme, groupSize: 16 });
      const viaInt4 = packMatMulNBits({
        scheme,
        blockSize: 16,
        layout: { outer: 1, dim: K, inner: N },
        scaleType: 'float32',
        rows: N,
        kBlocks: c.kBlocks,
        codes: c.codes,
        scales: c.scales,
        zeroPoints: c.zeroPoints,
        clipped: 0,
      });
      const B = new Uint8Array(viaInt4.B.length);
      packBits(c.codes, 0, c.codes.length, 4, B, 0);
      expect(Array.from(B)).toEqual(Array.from(viaInt4.B));
    }
  });

  it('2 bits: four codes per byte, the first in bits 0-1', () => {
    const out = new Uint8Array(2);
    packBits(Uint8Array.from([1, 2, 3, 0, 3]), 0, 5, 2, out, 0);
    expect(Array.from(out)).toEqual([0b00111001, 0b00000011]);
  });
});

describe('packGptq / unpackGptq', () => {
  it.each([
    [2, 'sym'],
    [2, 'asym'],
    [3, 'sym'],
    [3, 'asym'],
    [4, 'sym'],
    [4, 'asym'],
    [8, 'sym'],
    [8, 'asym'],
  ] as const)('%i bits %s: the stored tensors give back the same dequantized weight', (bits, scheme) => {
    const opts: GridOptions = { bits, scheme, groupSize: 16 };
    const c = rtnQuantize(w, K, N, opts);
    const p = packGptq(c);
    expect(p.bits).toBe(bits === 3 ? 4 : bits);
    expect(p.B.length).toBe((N * 48 * p.bits) / 8);
    expect(p.zeroPoints === undefined).toBe(scheme === 'sym');
    const back = unpackGptq(p, 'float32');
    expect(Array.from(dequantizeGrouped(back, 'float32'))).toEqual(Array.from(c.dequantized));
  });
});

/** MatMulNBits x [1, 32] @ W [32, 2] with `bits`, one block of 32, all codes 1. */
function nbits(bits: number): OnnxModel {
  const g = new GraphBuilder({ opset: 17, opsets: { 'com.microsoft': 1 } });
  const x = g.input('x', DataType.FLOAT, [1, 32]);
  const bytes = Math.ceil((32 * bits) / 8);
  const b = g.initializer('w_q', DataType.UINT8, [2, 1, bytes], new Uint8Array(2 * bytes));
  const s = g.initializer('w_scales', DataType.FLOAT, [2], new Float32Array([1, 0.5]));
  const [y] = g.node(
    'MatMulNBits',
    [x, b, s],
    { K: 32, N: 2, bits, block_size: 32, accuracy_level: 0 },
    { domain: 'com.microsoft' },
  );
  g.output(y, DataType.FLOAT);
  return g.build();
}

describe('ORT_CPU_NBITS matches onnxruntime-node CPU', () => {
  it.each([2, 3, 4, 5, 6, 7, 8])('bits %i', async (bits) => {
    let loaded = true;
    try {
      const session = await sessions.create(nbits(bits).toBytes());
      // all codes 0 with the implicit zero point 2^(b-1): every weight is -2^(b-1) * scale
      const out = await session.run({ x: { type: 'float32', data: new Float32Array(32).fill(1), dims: [1, 32] } });
      expect(Array.from(out[Object.keys(out)[0]].data as Float32Array)).toEqual([
        -32 * 2 ** (bits - 1),
        -16 * 2 ** (bits - 1),
      ]);
      await session.release();
    } catch (e) {
      expect(String((e as Error).message)).toMatch(/Only 2b, 4b and 8b quantization is supported|bits/);
      loaded = false;
    }
    expect(loaded).toBe(ORT_CPU_NBITS.includes(bits));
  });
});
