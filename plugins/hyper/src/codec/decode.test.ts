/** The decoder against the reference's own output (shared/data/hyper-golden) and spec §8.4. */
import { decodeIndices, decodeTensor, lookupTable, shellScales } from './decode.js';
import { GOLDEN_PATH, HAS_GOLDEN, loadGolden } from './golden.fixture.js';
import type { HyperEncodedTensor } from './types.js';

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** §8.4 worked example (n = 4, l = 0.1, K = 1, N = 11), side info as the reference wrote it. */
export const WORKED: HyperEncodedTensor = {
  kind: 'hyper',
  name: 'worked',
  numel: 11,
  pairs: 6,
  pad: 1,
  nIndex: 0,
  n: 4,
  K: 1,
  l: 0.1,
  cx: 0.04049999639391899,
  cy: -0.025227272883057594,
  fx: Math.fround(0.21),
  fy: Math.fround(-0.15),
  bits: 4,
  nz: 0,
  bytes: Uint8Array.from([0x20, 0x29, 0x07]),
  mae: 0,
};

describe('decodeTensor', () => {
  it('§8.4 worked example', () => {
    expect(Array.from(decodeIndices(WORKED))).toEqual([2, 0, 2, 9, 0, 7]);
    const expected = [
      0.015499996, -0.0252272729, 0.0404999964, -0.0252272729, 0.015499996, -0.0252272729, 0.1457360238, -0.0252272729,
      0.0404999964, -0.0252272729, -0.0647360235,
    ];
    const dec = decodeTensor(WORKED);
    expect(dec.length).toBe(11);
    // the spec prints 10 significant digits: closer than half a float32 ulp to each printed value
    dec.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(5e-10));
    // S_s = d_s/(l/2): d_0 = l/2, d_1 = F = 0.21047204732894897 (spec §8.4 step 2)
    const S = shellScales(WORKED);
    expect(S[0]).toBe(1);
    expect(S[1]).toBeCloseTo(0.21047204732894897 / 0.05, 12);
  });

  (HAS_GOLDEN ? describe : describe.skip)('golden cases (reference decoder output, bit for bit)', () => {
    if (!HAS_GOLDEN) console.warn(`decode.test: ${GOLDEN_PATH} is absent; skipping the golden cases`);
    const cases = HAS_GOLDEN ? loadGolden() : [];
    it.each(cases.map((c) => [c.id, c.file, c] as const))('case %i (%s)', (_id, _file, c) => {
      const enc: HyperEncodedTensor = {
        kind: 'hyper',
        name: `case${c.id}`,
        numel: c.w.length,
        pairs: Math.ceil(c.w.length / 2),
        pad: c.pad,
        nIndex: c.nIndex,
        n: c.U[c.nIndex],
        K: c.K,
        l: c.l,
        cx: c.cx,
        cy: c.cy,
        fx: c.fx,
        fy: c.fy,
        bits: c.bits,
        nz: c.nz,
        bytes: c.bytes,
        mae: 0,
      };
      const dec = decodeTensor(enc);
      expect(bitsOf(dec)).toEqual(bitsOf(c.dec));
      // the exact lookup table (spec §9.2 option A) is what decodeTensor gathers from
      const lut = lookupTable(enc);
      expect(lut.length).toBe(2 * (enc.n + 1) * (enc.K + 1));
    });
  });
});
