/**
 * The wasm SIMD kernel equals the reference kernel, codes and scales exactly: the cases of
 * fast.test.ts (odd shapes, short last blocks, exact ties, zeros, extremes, subnormals, every
 * layout), tiles wider than one wasm tile, and quotients that float32 rounds onto a half-integer
 * although the exact quotient is not one (the kernel's float64 redo). The committed binary is the
 * assembly of the committed .wat.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { quantizeInt4 } from '../fast.js';
import { quantizeInt4Ref, type Scheme } from '../math.js';
import { KERNEL_CASES, random, type KernelCase } from '../kernel-cases.fixture.js';
import { seededWeights } from '../../int8/testkit.fixture.js';
import { packMatMulNBits } from '../pack.js';
import { quantizeInt4Wasm, quantizeInt4WasmNibbles, wasmRtnApplies } from './rtn.js';
import { WASM_BASE64 } from './rtn.wasm.js';

/**
 * Blocks of a MatMul weight [dim, inner] whose first row holds max|w| = A (so the symmetric scale
 * is s = fround(A / 7)) and whose other entries sit a few float32 ulps from (m + 0.5) * s: the
 * quotients float32 rounds to exactly m + 0.5 although the exact ones are not, and exact ties.
 */
function nearTies(dim: number, inner: number, blockSize: number): Float32Array {
  const w = new Float32Array(dim * inner);
  const u32 = new Uint32Array(w.buffer);
  let seed = 11;
  const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let k = 0; k < dim; k++) {
    for (let i = 0; i < inner; i++) {
      const A = 0.05 + (i % 13) * 0.011;
      const at = k * inner + i;
      if (k % blockSize === 0) {
        w[at] = A;
        continue;
      }
      const s = Math.fround(A / 7);
      const m = Math.floor(next() * 14) - 7; // half-integers -6.5 .. 6.5
      w[at] = Math.fround((m + 0.5) * s);
      u32[at] += Math.floor(next() * 7) - 3; // -3 .. +3 ulps
    }
  }
  return w;
}

/** How many weights of `nearTies` need the float64 redo: fl32(w / s) is a half-integer, w / s is not. */
function float32OnlyTies(w: Float32Array, dim: number, inner: number, blockSize: number): number {
  let count = 0;
  for (let k = 0; k < dim; k++) {
    for (let i = 0; i < inner; i++) {
      if (k % blockSize === 0) continue;
      const s = Math.fround(Math.fround(0.05 + (i % 13) * 0.011) / 7);
      const q32 = Math.fround(w[k * inner + i] / s); // double rounding; exact enough to find candidates
      const q64 = w[k * inner + i] / s;
      if (q32 - Math.floor(q32) === 0.5 && q64 - Math.floor(q64) !== 0.5) count++;
    }
  }
  return count;
}

const CASES: readonly KernelCase[] = [
  ...KERNEL_CASES,
  {
    name: 'MatMul [96, 4103] (two tiles and a ragged third), block 32',
    layout: { outer: 1, dim: 96, inner: 4103 },
    blockSize: 32,
    weights: random(9, 0.1),
  },
  {
    name: 'MatMul [600, 12] (three chunks of 256 rows, the last short), block 16',
    layout: { outer: 1, dim: 600, inner: 12 },
    blockSize: 16,
    weights: random(10),
  },
  {
    name: 'MatMul [256, 64] near-ties, block 32',
    layout: { outer: 1, dim: 256, inner: 64 },
    blockSize: 32,
    weights: () => nearTies(256, 64, 32),
  },
];

describe('wasm int4 RTN kernel', () => {
  it('runs here (Node 20 has wasm SIMD), for float32 scales and block sizes that are multiples of 4', () => {
    expect(wasmRtnApplies({ scheme: 'sym', blockSize: 32 })).toBe(true);
    expect(wasmRtnApplies({ scheme: 'asym', blockSize: 4, scaleType: 'float32' })).toBe(true);
    expect(wasmRtnApplies({ scheme: 'sym', blockSize: 32, scaleType: 'float16' })).toBe(false);
    expect(wasmRtnApplies({ scheme: 'sym', blockSize: 32, searchScale: true })).toBe(false);
    expect(wasmRtnApplies({ scheme: 'sym', blockSize: 2 })).toBe(false);
  });

  describe.each(CASES)('= reference: $name', ({ layout, blockSize, weights }) => {
    const w = weights(layout.outer * layout.dim * layout.inner);
    it.each(['sym', 'asym'] as Scheme[])('%s', (scheme) => {
      const options = { scheme, blockSize };
      const ref = quantizeInt4Ref(w, layout, options);
      const got = quantizeInt4Wasm(w, layout, options);
      expect(got.codes).toEqual(ref.codes);
      expect(new Uint32Array(got.scales.buffer, got.scales.byteOffset, got.scales.length)).toEqual(
        new Uint32Array(ref.scales.buffer),
      );
      expect(got.zeroPoints).toEqual(ref.zeroPoints);
      expect([got.rows, got.kBlocks, got.clipped, got.scaleType]).toEqual([ref.rows, ref.kBlocks, 0, 'float32']);
    });
  });

  describe.each(CASES.filter((c) => c.layout.outer === 1 && c.blockSize % 8 === 0))(
    'nibbles = packMatMulNBits(reference): $name',
    ({ layout, blockSize, weights }) => {
      const w = weights(layout.outer * layout.dim * layout.inner);
      it.each(['sym', 'asym'] as Scheme[])('%s', (scheme) => {
        const options = { scheme, blockSize };
        const ref = quantizeInt4Ref(w, layout, options);
        const got = quantizeInt4WasmNibbles(w, layout, options);
        expect(got.nibbles).toEqual(packMatMulNBits(ref).B);
        expect(got.scales).toEqual(ref.scales);
        expect(got.zeroPoints).toEqual(ref.zeroPoints);
      });
    },
  );

  it('nibbles need a block size that is a multiple of 8', () => {
    expect(() =>
      quantizeInt4WasmNibbles(seededWeights(64, 1), { outer: 1, dim: 16, inner: 4 }, { scheme: 'sym', blockSize: 4 }),
    ).toThrow(/multiple of 8/);
  });

  it('the near-ties case does exercise the float64 redo (else the case above proves nothing about it)', () => {
    const w = nearTies(256, 64, 32);
    expect(float32OnlyTies(w, 256, 64, 32)).toBeGreaterThan(20);
  });

  it('is what quantizeInt4 picks for float32 scales (same result object shape as the reference)', () => {
    const w = seededWeights(64 * 40, 12);
    const layout = { outer: 1, dim: 64, inner: 40 };
    expect(quantizeInt4(w, layout, { scheme: 'asym', blockSize: 16 })).toEqual(
      quantizeInt4Ref(w, layout, { scheme: 'asym', blockSize: 16 }),
    );
  });

  it('the committed binary is the assembly of rtn.wat (run `npm run build:wasm -w plugins/quant` after editing it)', async () => {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const { assembleWat } = await import(new URL('../../../scripts/assemble-wat.mjs', import.meta.url).href);
    const bytes: Uint8Array = await assembleWat('rtn.wat', readFileSync(`${here}/rtn.wat`, 'utf8'));
    expect(Buffer.from(bytes).toString('base64')).toBe(WASM_BASE64);
  });
});
