import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '../errors.js';
import type { ParamSpec, Params } from '../params.js';
import { parseSweep, pointFolder, type SweptMethod } from './sweep-points.js';

const params: readonly ParamSpec[] = [
  { name: 'algo', type: 'enum', options: ['magnitude', 'wanda', 'channel'], default: 'magnitude', description: '' },
  { name: 'sparsity', type: 'number', default: 0.5, description: '' },
  { name: 'pattern', type: 'string', description: '' },
  { name: 'ratio', type: 'number', default: 0.25, description: '' },
];
/** declares its sweep parameter from --algo, as prune does */
const pruneLike = (raw: Record<string, unknown> = {}): SweptMethod => ({
  compressor: {
    id: 'p',
    params,
    sweepParam: (p: Params) => (p.algo === 'channel' ? 'ratio' : 'sparsity'),
  },
  params: raw,
});
const undeclared: SweptMethod = { compressor: { id: 'q', params }, params: {} };

describe('parseSweep', () => {
  it("a bare list walks the method's declared parameter; NAME=... any other", () => {
    expect(parseSweep('0, 0.2,0.5', pruneLike())).toEqual([
      { label: 'sparsity=0', overrides: { sparsity: '0' } },
      { label: 'sparsity=0.2', overrides: { sparsity: '0.2' } },
      { label: 'sparsity=0.5', overrides: { sparsity: '0.5' } },
    ]);
    expect(parseSweep('pattern=2:4,4:8', pruneLike()).map((p) => p.overrides)).toEqual([
      { pattern: '2:4' },
      { pattern: '4:8' },
    ]);
  });
  it('a declaration that depends on another parameter sees it parsed (--algo channel walks --ratio)', () => {
    expect(parseSweep('0.1,0.25', pruneLike({ algo: 'channel' })).map((p) => p.label)).toEqual([
      'ratio=0.1',
      'ratio=0.25',
    ]);
    expect(parseSweep('0.1', { ...pruneLike(), compressor: { id: 'p', params, sweepParam: 'pattern' } })).toEqual([
      { label: 'pattern=0.1', overrides: { pattern: '0.1' } },
    ]);
  });
  it('a method that declares no sweep parameter asks for NAME=, and takes it', () => {
    expect(() => parseSweep('0,0.2', undeclared)).toThrow(
      expect.objectContaining({
        code: ErrorCodes.BAD_PARAM,
        message: '--sweep 0,0.2: --method q declares no parameter for a bare list of values',
        hint: "name the parameter: --sweep NAME=v1,v2 (q's parameters: algo, sparsity, pattern, ratio)",
      }),
    );
    expect(parseSweep('ratio=0.1', undeclared)).toEqual([{ label: 'ratio=0.1', overrides: { ratio: '0.1' } }]);
  });
  it('a declared name that is not a parameter is the plugin author’s bug (exit 1)', () => {
    expect(() => parseSweep('1,2', { compressor: { id: 'b', params, sweepParam: 'bits' }, params: {} })).toThrow(
      expect.objectContaining({ code: 'E_BUG', message: expect.stringMatching(/declares sweep parameter bits/) }),
    );
  });
  it('a recipe file gives one point per object', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'mc-sweep-')), 'r.json');
    writeFileSync(f, JSON.stringify([{ algo: 'wanda', sparsity: 0.5 }, { pattern: '2:4' }]));
    expect(parseSweep(f, undeclared)).toEqual([
      { label: 'algo=wanda,sparsity=0.5', overrides: { algo: 'wanda', sparsity: '0.5' } },
      { label: 'pattern=2:4', overrides: { pattern: '2:4' } },
    ]);
    writeFileSync(f, JSON.stringify([{ sparsityy: 1 }]));
    expect(() => parseSweep(f, pruneLike())).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_PARAM, message: expect.stringMatching(/sets sparsityy/) }),
    );
  });
  it('refuses an unknown parameter and an empty list', () => {
    expect(() => parseSweep('bits=1,2', pruneLike())).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_PARAM }));
    expect(() => parseSweep('sparsity=', pruneLike())).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/no values/) }),
    );
  });
});

describe('pointFolder', () => {
  it('numbers the point and keeps its label readable as a file name', () => {
    expect(pointFolder(1, 'sparsity=0.5')).toBe('02-sparsity-0.5');
    expect(pointFolder(9, 'pattern=2:4,min-size=2048')).toBe('10-pattern-2-4-min-size-2048');
    expect(pointFolder(0, 'a/b c')).toBe('01-a_b_c');
  });
});
