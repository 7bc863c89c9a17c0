import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertFileOrFolder, assertRegularFile, containmentRoot, regularFileInside } from './safe-paths.js';

const root = mkdtempSync(join(tmpdir(), 'mc-safe-'));
const dir = join(root, 'data');
mkdirSync(join(dir, 'evidence'), { recursive: true });
writeFileSync(join(root, 'SECRET.txt'), 'secret');
writeFileSync(join(dir, 'evidence', 'a.txt'), 'fine');
symlinkSync(join(root, 'SECRET.txt'), join(dir, 'evidence', 'link-out.txt'));
symlinkSync('a.txt', join(dir, 'evidence', 'link-in.txt'));
execFileSync('mkfifo', [join(dir, 'evidence', 'pipe.txt')]);

describe('regularFileInside', () => {
  const evidence = join(dir, 'evidence');

  it('gives the real path of a regular file, or of a link that stays inside', () => {
    expect(regularFileInside(evidence, 'a.txt', 'evidence')).toBe(join(evidence, 'a.txt'));
    expect(regularFileInside(evidence, 'link-in.txt', 'evidence')).toBe(join(evidence, 'a.txt'));
  });

  it('refuses ../, absolute paths, links out, FIFOs and folders, with one user error each', () => {
    const cases: [string, RegExp][] = [
      ['../../SECRET.txt', /points outside its folder/],
      [join(root, 'SECRET.txt'), /points outside its folder/],
      ['link-out.txt', /link that leads outside its folder/],
      ['pipe.txt', /is a FIFO \(named pipe\), not a regular file/],
      ['.', /points outside its folder/],
      ['missing.txt', /not found/],
    ];
    for (const [name, message] of cases) {
      expect(() => regularFileInside(evidence, name, 'evidence file')).toThrow(
        expect.objectContaining({ isMcError: true, exitCode: 2, message: expect.stringMatching(message) }),
      );
    }
  });

  it('lets a Hugging Face cache snapshot link into its repo blobs, and no further', () => {
    const repo = join(root, 'hub', 'datasets--o--n');
    const snap = join(repo, 'snapshots', 'a'.repeat(40));
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(snap, { recursive: true });
    writeFileSync(join(repo, 'blobs', 'f00'), 'x');
    symlinkSync('../../blobs/f00', join(snap, 'meta.json'));
    symlinkSync(join(root, 'SECRET.txt'), join(snap, 'evil.json'));
    expect(containmentRoot(snap)).toBe(repo);
    expect(regularFileInside(snap, 'meta.json', 'meta.json')).toBe(join(repo, 'blobs', 'f00'));
    expect(() => regularFileInside(snap, 'evil.json', 'meta.json')).toThrow(/leads outside/);
  });
});

describe('user-given paths', () => {
  it('accepts regular files (and folders where allowed); refuses FIFOs and devices without opening them', () => {
    expect(() => assertRegularFile(join(dir, 'evidence', 'a.txt'), 'model')).not.toThrow();
    expect(() => assertRegularFile(join(dir, 'evidence', 'pipe.txt'), 'model')).toThrow(/FIFO/);
    expect(() => assertRegularFile('/dev/zero', 'model')).toThrow(/character device/);
    expect(() => assertRegularFile(dir, 'model')).toThrow(/is a folder/);
    expect(() => assertFileOrFolder(dir, 'dataset')).not.toThrow();
    expect(() => assertFileOrFolder(join(dir, 'evidence', 'pipe.txt'), 'dataset')).toThrow(/FIFO/);
  });
});
