/**
 * The cases every int4 RTN kernel is held to (fast.test.ts, wasm/rtn.test.ts): odd lengths, short
 * last blocks, exact ties, all-zero blocks, huge and tiny magnitudes, subnormals, and every layout
 * (MatMul [K, N], rows, [outer, dim, inner]).
 */
import type { BlockLayout } from './math.js';
import { seededWeights } from '../int8/testkit.fixture.js';

export interface KernelCase {
  readonly name: string;
  readonly layout: BlockLayout;
  readonly blockSize: number;
  readonly weights: (n: number) => Float32Array;
}

export const random =
  (seed: number, scale = 1) =>
  (n: number) =>
    seededWeights(n, seed, scale);
/** Multiples of 1/8 in [-2, 2]: with power-of-two scales many w / scale are exact ties. */
const onTies = (n: number) => Float32Array.from({ length: n }, (_, i) => (((i * 37) % 33) - 16) / 8);
/** Blocks of zeros between random values, and a few huge and tiny magnitudes. */
const zerosAndExtremes = (n: number) => {
  const w = seededWeights(n, 7);
  for (let i = 0; i < n; i++) if (Math.floor(i / 16) % 3 === 0) w[i] = 0;
  for (let i = 5; i < n; i += 97) w[i] = i % 2 ? 3e4 : 1e-30;
  return w;
};

/** Float32 subnormals: max|w| / 7 rounds to 0 in float32, so the scale becomes the least float32. */
const subnormal = (n: number) => Float32Array.from(seededWeights(n, 8), (u) => u * 3e-45);

export const KERNEL_CASES: readonly KernelCase[] = [
  {
    name: 'MatMul [32, 16] float32 subnormals, block 16',
    layout: { outer: 1, dim: 32, inner: 16 },
    blockSize: 16,
    weights: subnormal,
  },
  { name: 'MatMul [64, 48], block 16', layout: { outer: 1, dim: 64, inner: 48 }, blockSize: 16, weights: random(1) },
  {
    name: 'MatMul [100, 7] (short last block), block 32',
    layout: { outer: 1, dim: 100, inner: 7 },
    blockSize: 32,
    weights: random(2),
  },
  { name: 'MatMul [33, 5] ties, block 16', layout: { outer: 1, dim: 33, inner: 5 }, blockSize: 16, weights: onTies },
  {
    name: 'MatMul [256, 64] zeros and extremes, block 64',
    layout: { outer: 1, dim: 256, inner: 64 },
    blockSize: 64,
    weights: zerosAndExtremes,
  },
  { name: 'rows [9, 77], block 16', layout: { outer: 9, dim: 77, inner: 1 }, blockSize: 16, weights: random(3, 0.02) },
  { name: 'rows [4, 300] ties, block 128', layout: { outer: 4, dim: 300, inner: 1 }, blockSize: 128, weights: onTies },
  { name: '[3, 41, 6], block 8', layout: { outer: 3, dim: 41, inner: 6 }, blockSize: 8, weights: random(4) },
  {
    name: 'MatMul [5, 3] (one short block), block 256',
    layout: { outer: 1, dim: 5, inner: 3 },
    blockSize: 256,
    weights: random(5),
  },
  { name: 'MatMul [512, 96], block 4', layout: { outer: 1, dim: 512, inner: 96 }, blockSize: 4, weights: random(6, 3) },
];
