import { parseParams } from '@mc-kit/core';
import { PRESETS } from './codec/index.js';
import { hyperOptions as optionsOf, parseL, parseN } from './options.js';
import { HYPER_PARAMS } from './plugin.js';

/** As the compress service calls it: flags through parseParams first. */
const hyperOptions = (raw: Record<string, unknown>) => optionsOf(parseParams(HYPER_PARAMS, raw, 'hyper'));

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
    expect(hyperOptions({}).settings).toMatchObject({ l: PRESETS.unet.l, U: PRESETS.unet.U, M: PRESETS.unet.M });
  });

  it('takes only params that parseParams produced (a raw object is our bug, not a silent default)', () => {
    expect(() => optionsOf({ preset: 'unet' })).toThrow(expect.objectContaining({ code: 'E_BUG' }));
  });

  it('refuses n < 1, l <= 0, M out of range and too-wide indices', () => {
    expect(() => parseN(['0'])).toThrow(/--n values must be integers >= 1/);
    expect(() => parseN(['2.5'])).toThrow(/--n/);
    expect(() => parseL('0')).toThrow(/--l must be a positive number/);
    expect(() => parseL('x')).toThrow(/--l/);
    expect(parseL('0.25')).toBe(0.25);
    expect(() => hyperOptions({ m: 0 })).toThrow(/--m must be between 1 and 255/);
    expect(() => hyperOptions({ n: ['65535'], m: 4 })).toThrow(/wider than 17 bits/);
  });
});
