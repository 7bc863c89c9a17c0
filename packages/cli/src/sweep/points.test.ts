import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '@mc-kit/core';
import { parseSweep } from './points.js';

const known = ['algo', 'sparsity', 'pattern', 'ratio'];

describe('parseSweep', () => {
  it('a bare list sets the default parameter; NAME=... any other', () => {
    expect(parseSweep('0, 0.2,0.5', 'sparsity', known)).toEqual([
      { label: 'sparsity=0', overrides: { sparsity: '0' } },
      { label: 'sparsity=0.2', overrides: { sparsity: '0.2' } },
      { label: 'sparsity=0.5', overrides: { sparsity: '0.5' } },
    ]);
    expect(parseSweep('pattern=2:4,4:8', 'sparsity', known).map((p) => p.overrides)).toEqual([
      { pattern: '2:4' },
      { pattern: '4:8' },
    ]);
  });
  it('a recipe file gives one point per object', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'mc-sweep-')), 'r.json');
    writeFileSync(f, JSON.stringify([{ algo: 'wanda', sparsity: 0.5 }, { pattern: '2:4' }]));
    expect(parseSweep(f, 'sparsity', known)).toEqual([
      { label: 'algo=wanda,sparsity=0.5', overrides: { algo: 'wanda', sparsity: '0.5' } },
      { label: 'pattern=2:4', overrides: { pattern: '2:4' } },
    ]);
    writeFileSync(f, JSON.stringify([{ sparsityy: 1 }]));
    expect(() => parseSweep(f, 'sparsity', known)).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_PARAM, message: expect.stringMatching(/sets sparsityy/) }),
    );
  });
  it('refuses an unknown parameter and an empty list', () => {
    expect(() => parseSweep('bits=1,2', 'sparsity', known)).toThrow(
      expect.objectContaining({ code: ErrorCodes.BAD_PARAM }),
    );
    expect(() => parseSweep('sparsity=', 'sparsity', known)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/no values/) }),
    );
  });
});
