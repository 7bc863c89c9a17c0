import { PRESETS } from './codec/index.js';
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
