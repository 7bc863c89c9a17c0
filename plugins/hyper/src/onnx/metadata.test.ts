/**
 * The mc.hyper record (format 2): what decompress needs and nothing more, checked field by field on
 * read; float32 side info written in the fewest digits that read back as the same float32.
 */
import { encodedFrom, float32Text, frontZeroBits, readHyperMeta, tensorRecord } from './metadata.js';

describe('mc.hyper metadata', () => {
  const rec = { name: 'w', shape: [3, 5], n: 225, K: 2, l: 0.1, c: [0.5, -0.25], f: [1, 1], bits: 10, table: 'exact' };
  const meta = (t: object) => JSON.stringify({ format: 2, decode: 'load', tensors: [t] });

  it('reads a well-formed entry; numel, pad and front zero bits follow from shape and width', () => {
    const r = readHyperMeta(meta(rec))!.tensors[0];
    expect(r.name).toBe('w');
    const enc = encodedFrom(r, new Uint8Array(10));
    // 15 weights: 8 pairs (one pad value), 80 index bits: no front padding
    expect([enc.numel, enc.pairs, enc.pad, enc.nz]).toEqual([15, 8, 1, 0]);
    expect(frontZeroBits(7, 3)).toBe(3); // 21 bits + 3 = 24
    expect(readHyperMeta(meta({ ...rec, table: 'compact', inputs: ['p', 'h', 'T', 'S', 'c'] }))?.tensors[0].table).toBe(
      'compact',
    );
    expect(readHyperMeta(undefined)).toBeUndefined();
  });

  it.each([
    ['{', /not valid JSON/],
    [JSON.stringify({ format: 3, decode: 'load', tensors: [] }), /has no format 2/],
    [meta({ ...rec, shape: [3, 0] }), /bad shape/],
    [meta({ ...rec, K: 300 }), /out of range/],
    [meta({ ...rec, bits: 18 }), /out of range/],
    [meta({ ...rec, l: 0 }), /l must be a positive number/],
    [meta({ ...rec, c: ['x', 1] }), /c and f must be two finite numbers each/],
    [meta({ ...rec, f: [1] }), /c and f must be two finite numbers each/],
    [meta({ ...rec, table: 'lut' }), /table must be exact or compact/],
    [meta({ ...rec, table: 'compact', K: 0 }), /compact table needs K >= 1/],
    [meta({ ...rec, inputs: ['p', 'h'] }), /needs 3 decode input names/],
    [JSON.stringify({ format: 2, decode: 'load', tensors: [rec, rec] }), /names "w" twice/],
  ])('refuses a tampered entry %#', (raw, pattern) => {
    expect(() => readHyperMeta(raw)).toThrow(pattern);
  });

  it('a format-1 entry (an older mc) is named as such', () => {
    expect(() => readHyperMeta(JSON.stringify({ format: 1, decode: 'load', tensors: [] }))).toThrow(
      /written by an older mc \(mc\.hyper format 1\)/,
    );
  });

  it('float32 values in the fewest digits that give the same float32 back', () => {
    let s = 7;
    for (let i = 0; i < 2000; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const v = Math.fround((s / 2 ** 32 - 0.5) * 10 ** ((s % 9) - 6));
      const t = float32Text(v);
      expect(Math.fround(t)).toBe(v);
      const significant = String(Math.abs(t)).replace(/e.*$/, '').replace('.', '').replace(/^0+/, '');
      expect(significant.length).toBeLessThanOrEqual(9);
    }
    expect(float32Text(Math.fround(0.1))).toBe(0.1);
    expect(float32Text(Math.fround(-0.007360450923442841))).toBe(-0.007360451);
    // the record holds the short forms; encodedFrom turns them back into the exact float32 values
    const enc = {
      kind: 'hyper' as const,
      name: 'w',
      numel: 15,
      pairs: 8,
      pad: 1 as const,
      nIndex: 0,
      n: 3,
      K: 1,
      l: 0.1,
      cx: Math.fround(0.1),
      cy: Math.fround(1 / 3),
      fx: Math.fround(-2 / 7),
      fy: 0,
      bits: 3,
      nz: 0,
      bytes: new Uint8Array(3),
      mae: 0,
    };
    const r = tensorRecord(enc, [3, 5], 'exact');
    expect(r.c).toEqual([0.1, 0.33333334]);
    expect(r.inputs).toBeUndefined();
    const back = encodedFrom(JSON.parse(JSON.stringify(r)), enc.bytes);
    expect([back.cx, back.cy, back.fx, back.fy]).toEqual([enc.cx, enc.cy, enc.fx, enc.fy]);
  });
});
