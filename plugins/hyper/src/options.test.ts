import { PRESETS } from './codec/index.js';
import { readHyperMeta } from './onnx/metadata.js';
import { hyperOptions, parseL, parseN } from './options.js';

describe('hyper params -> settings', () => {
  it('a preset gives the reference settings; plain flags override single fields', () => {
    expect(hyperOptions({ preset: 'mobilenet' }).settings).toMatchObject({ l: 0.8, U: [1600], M: 4, maxMae: null });
    expect(hyperOptions({ preset: 'llm' }).settings.maxMae).toBe(0.006);
    const o = hyperOptions({ preset: 'unet', l: 'auto', n: ['64,225'], m: 2, 'max-mae': 0.01 });
    expect(o.settings).toMatchObject({ l: 'auto', U: [64, 225], M: 2, maxMae: 0.01, lossMax: PRESETS.unet.lossMax });
    expect(o.decode).toBe('load');
    expect(o.decodeTable).toBe('auto');
    expect(hyperOptions({ 'decode-table': 'compact' }).decodeTable).toBe('compact');
    expect(o.minSize).toBe(10);
  });

  it('refuses n < 1, l <= 0, M out of range and too-wide indices', () => {
    expect(() => parseN(['0'])).toThrow(/--n values must be integers >= 1/);
    expect(() => parseN(['2.5'])).toThrow(/--n/);
    expect(() => parseL('0')).toThrow(/--l must be a positive number/);
    expect(() => parseL('x')).toThrow(/--l/);
    expect(parseL('0.25')).toBe(0.25);
    expect(() => hyperOptions({ m: 0 })).toThrow(/--m must be an integer from 1 to 255/);
    expect(() => hyperOptions({ n: ['65535'], m: 4 })).toThrow(/wider than 17 bits/);
  });
});

describe('mc.hyper metadata', () => {
  const rec = { name: 'w', shape: [3, 5], numel: 15, pad: 1, n: 225, K: 2, l: 0.1, cx: 0, cy: 0, fx: 1, fy: 1, bits: 10, nz: 0, mae: 0.001, bpw: 5, packed: 'p', lut: 'l', scalars: ['s'], nodes: ['a'] };
  const meta = (t: object) => JSON.stringify({ format: 1, decode: 'load', tensors: [t] });

  it('reads a well-formed entry', () => {
    expect(readHyperMeta(meta(rec))?.tensors[0].name).toBe('w');
    expect(readHyperMeta(meta({ ...rec, table: 'compact', scales: 's', centre: 'c' }))?.tensors[0].table).toBe('compact');
    expect(readHyperMeta(undefined)).toBeUndefined();
  });

  it.each([
    ['{', /not valid JSON/],
    [meta({ ...rec, numel: 14 }), /numel 14 does not match/],
    [meta({ ...rec, pad: 0 }), /pad 0 does not match 15/],
    [meta({ ...rec, nz: 3 }), /does not align/], // 8 pairs × 10 bits = 80: nz must be 0
    [meta({ ...rec, K: 300 }), /out of range/],
    [meta({ ...rec, cx: 'x' }), /cx is not a finite number/],
    [meta({ ...rec, nodes: [] }), /missing initializer or node names/],
    [meta({ ...rec, table: 'lut' }), /table must be exact or compact/],
    [meta({ ...rec, table: 'compact' }), /compact table needs K >= 1 and its scales and centre names/],
    [meta({ ...rec, table: 'compact', scales: 's', centre: 'c', K: 0 }), /compact table needs K >= 1/],
  ])('refuses a tampered entry %#', (raw, pattern) => {
    expect(() => readHyperMeta(raw)).toThrow(pattern);
  });
});
