/**
 * The fast path equals the reference kernel, codes and scales exactly (STYLE.md §3): one table of
 * cases, looped over, with odd lengths, short last blocks, exact ties, all-zero blocks, both
 * schemes, float32 and float16 scales, and every layout (MatMul [K, N], rows, [outer, dim, inner]).
 */
import { roundHalfToEven } from '../grid/params.js';
import { quantizeInt4, quantizeInt4Fast } from './fast.js';
import { quantizeInt4Ref, type Scheme } from './math.js';
import { seededWeights } from '../int8/testkit.fixture.js';
import { KERNEL_CASES } from './kernel-cases.fixture.js';
import type { FloatType } from '../grid/float-types.js';

describe.each(KERNEL_CASES)('fast path = reference: $name', ({ layout, blockSize, weights }) => {
  const w = weights(layout.outer * layout.dim * layout.inner);
  it.each([
    ['sym', 'float32'],
    ['asym', 'float32'],
    ['sym', 'float16'],
    ['asym', 'float16'],
  ] as [Scheme, FloatType][])('%s, %s scales', (scheme, scaleType) => {
    const options = { scheme, blockSize, scaleType };
    const ref = quantizeInt4Ref(w, layout, options);
    const fast = quantizeInt4Fast(w, layout, options);
    expect(fast.codes).toEqual(ref.codes);
    expect(new Uint32Array(fast.scales.buffer)).toEqual(new Uint32Array(ref.scales.buffer));
    expect(fast.zeroPoints).toEqual(ref.zeroPoints);
    expect([fast.rows, fast.kBlocks, fast.clipped]).toEqual([ref.rows, ref.kBlocks, 0]);
  });
});

describe('quantizeInt4 (the one place that picks the kernel)', () => {
  it('takes the reference for the clip search and the fast path otherwise, with the same results', () => {
    const w = seededWeights(64 * 40, 9);
    const layout = { outer: 1, dim: 64, inner: 40 };
    const searched = quantizeInt4(w, layout, { scheme: 'sym', blockSize: 16, searchScale: true });
    expect(searched).toEqual(quantizeInt4Ref(w, layout, { scheme: 'sym', blockSize: 16, searchScale: true }));
    expect(searched.clipped).toBeGreaterThan(0);
    expect(quantizeInt4(w, layout, { scheme: 'asym', blockSize: 16 })).toEqual(
      quantizeInt4Ref(w, layout, { scheme: 'asym', blockSize: 16 }),
    );
    expect(() => quantizeInt4Fast(w, layout, { scheme: 'sym', blockSize: 16, searchScale: true })).toThrow(
      /clip search/,
    );
  });

  it("rounds as roundHalfToEven does (the fast path's 1.5 * 2^52 trick), ties and near-ties included", () => {
    const R = 6755399441055744;
    const xs = [
      0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 7.5, -7.5, 0.49999999999999994, 2.5000000000000004, -3.4999998, 14.5, 1e-300,
      -1e-300,
    ];
    for (const x of xs) expect(x + R - R + 0).toBe(roundHalfToEven(x));
  });
});
