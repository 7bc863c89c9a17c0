import { bitLength, indexBits, packIndices, unpackIndices } from './bits.js';

/** The reference's writer, literally (spec §5.2): binary strings, zero bits padded at the front. */
function packRef(idx: number[], bits: number): { bytes: number[]; nz: number } {
  let s = idx.map((v) => v.toString(2).padStart(bits, '0')).join('');
  const nz = (8 - (s.length % 8)) % 8;
  s = '0'.repeat(nz) + s;
  const bytes: number[] = [];
  for (let t = 0; t < s.length; t += 8) bytes.push(parseInt(s.slice(t, t + 8), 2));
  return { bytes, nz };
}

describe('index packing (spec §5.2)', () => {
  it('§8.4 worked example: [2,0,2,9,0,7] in 4 bits -> 20 29 07', () => {
    const { bytes, nz } = packIndices([2, 0, 2, 9, 0, 7], 4);
    expect(nz).toBe(0);
    expect(Array.from(bytes)).toEqual([0x20, 0x29, 0x07]);
    expect(Array.from(unpackIndices(bytes, 4, 0, 6))).toEqual([2, 0, 2, 9, 0, 7]);
  });

  it('matches the reference writer and round-trips for every width 1..17 and odd lengths', () => {
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let bits = 1; bits <= 17; bits++) {
      for (const P of [1, 2, 3, 5, 8, 13, 37]) {
        const idx = Array.from({ length: P }, () => Math.floor(rand() * 2 ** bits));
        idx[P - 1] = 2 ** bits - 1; // all ones at the tail: a shifted window would show
        const ref = packRef(idx, bits);
        const { bytes, nz } = packIndices(idx, bits);
        expect({ bytes: Array.from(bytes), nz }).toEqual(ref);
        expect(Array.from(unpackIndices(bytes, bits, nz, P))).toEqual(idx);
      }
    }
  });

  it('bit_length and uint_i', () => {
    expect([0, 1, 2, 3, 255, 256, 8004].map(bitLength)).toEqual([0, 1, 2, 2, 8, 9, 13]);
    expect(indexBits(0)).toBe(1); // an all-zero tensor still gets 1-bit indices
    expect(indexBits(9)).toBe(4);
  });

  it('rejects widths the decoders do not support and short streams', () => {
    expect(() => packIndices([1], 18)).toThrow(RangeError);
    expect(() => unpackIndices(new Uint8Array(1), 4, 0, 3)).toThrow(RangeError);
  });
});
