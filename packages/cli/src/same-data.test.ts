import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { sameData, sameDataWarning } from './same-data.js';

describe('sameData', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-same-data-'));
  mkdirSync(join(dir, 'text'));
  writeFileSync(join(dir, 'text', 'valid.jsonl'), '{"content":"a"}\n');
  writeFileSync(join(dir, 'text', 'train.jsonl'), '{"content":"b"}\n');
  symlinkSync(join(dir, 'text', 'valid.jsonl'), join(dir, 'link.jsonl'));

  it('sees one file through another spelling, a trailing slash or a symlink', () => {
    const valid = join(dir, 'text', 'valid.jsonl');
    expect(sameData(valid, relative(process.cwd(), valid))).toBe(true);
    expect(sameData(join(dir, 'text'), `${join(dir, 'text')}/`)).toBe(true);
    expect(sameData(join(dir, 'link.jsonl'), join(dir, 'text', '..', 'text', 'valid.jsonl'))).toBe(true);
  });

  it('tells two splits apart, and a hub id from a path', () => {
    expect(sameData(join(dir, 'text', 'valid.jsonl'), join(dir, 'text', 'train.jsonl'))).toBe(false);
    expect(sameData('hf:owner/data', 'hf:owner/data')).toBe(true);
    expect(sameData('hf:owner/data', 'hf:owner/other')).toBe(false);
  });

  it('warns in one line naming both flags, only when both are given and the same', () => {
    const valid = join(dir, 'text', 'valid.jsonl');
    const calib = (ref?: string) => ({ flag: '--calib-dataset', ref });
    const scored = (ref?: string) => ({ flag: '--dataset', ref });
    expect(sameDataWarning(calib(valid), scored(join(dir, 'link.jsonl')), 'in-sample')).toBe(
      `--calib-dataset and --dataset are the same data (${valid}): in-sample`,
    );
    expect(sameDataWarning(calib(valid), scored(join(dir, 'text', 'train.jsonl')), 'x')).toBeUndefined();
    expect(sameDataWarning(calib(undefined), scored(valid), 'x')).toBeUndefined();
    expect(sameDataWarning(calib(valid), scored(undefined), 'x')).toBeUndefined();
  });
});
