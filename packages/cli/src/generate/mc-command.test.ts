import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath, mcCommand } from './mc-command.js';

const root = mkdtempSync(join(tmpdir(), 'mc path-'));
const script = join(root, 'checkout', 'bin', 'mc');
mkdirSync(join(root, 'checkout', 'bin'), { recursive: true });
writeFileSync(script, '#!/usr/bin/env node\n');
chmodSync(script, 0o755);
const linked = join(root, 'global-bin');
mkdirSync(linked);
symlinkSync(script, join(linked, 'mc'));
const other = join(root, 'other-bin');
mkdirSync(other);
writeFileSync(join(other, 'mc'), '#!/bin/sh\n');
chmodSync(join(other, 'mc'), 0o755);

describe('mcCommand: how printed commands call this mc', () => {
  it('is `mc` when mc on PATH is this very mc (npm link, npm i -g)', () => {
    expect(mcCommand('mc', script, { PATH: `/nonexistent:${linked}` })).toBe('mc');
  });

  it('is the quoted absolute path when no mc is on PATH, or another one comes first', () => {
    expect(mcCommand('mc', script, { PATH: '/nonexistent' })).toBe(`'${script}'`);
    expect(mcCommand('mc', script, { PATH: `${other}:${linked}` })).toBe(`'${script}'`);
  });

  it('finds only executables', () => {
    writeFileSync(join(root, 'plain'), '');
    expect(findOnPath('plain', { PATH: root })).toBeUndefined();
    expect(findOnPath('mc', { PATH: `${root}:${other}` })).toBe(join(other, 'mc'));
  });
});
