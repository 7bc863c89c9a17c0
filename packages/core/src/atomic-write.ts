/**
 * Writes that leave nothing half-written: data goes to a temp file in the destination folder, then
 * a rename (atomic on one filesystem). On any failure the temp file is removed.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCodes, UserError } from './errors.js';

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Fail early, with one line, when a folder cannot take the output. */
export async function assertWritableDir(dir: string, what = 'output'): Promise<void> {
  try {
    const st = await fs.stat(dir);
    if (!st.isDirectory()) throw new UserError(ErrorCodes.UNWRITABLE, `cannot write ${what}: ${dir} is not a folder`);
    await fs.access(dir, constants.W_OK);
    // access() says yes to root everywhere, and knows nothing of read-only mounts (/sys) or
    // pseudo filesystems (/proc): creating (and removing) a probe file is the real question.
    const probe = tempPathFor(join(dir, 'probe'));
    await (await fs.open(probe, 'wx')).close();
    await fs.rm(probe, { force: true });
  } catch (e) {
    if ((e as { isMcError?: boolean }).isMcError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      ErrorCodes.UNWRITABLE,
      code === 'ENOENT' && !(await exists(dir))
        ? `cannot write ${what}: folder ${dir} does not exist`
        : `cannot write ${what}: folder ${dir} is not writable (${code ?? 'error'})`,
      { hint: code === 'ENOENT' ? 'create the folder first' : 'choose another folder with --out' },
    );
  }
}

async function exists(path: string): Promise<boolean> {
  return fs.stat(path).then(
    () => true,
    () => false,
  );
}

/** Refuse to write over an input. Compares resolved paths (and inode where the file exists). */
export async function assertNotInput(outPath: string, inputPaths: readonly string[]): Promise<void> {
  const out = resolve(outPath);
  const outStat = await fs.stat(out).catch(() => undefined);
  for (const p of inputPaths) {
    const inp = resolve(p);
    const inStat = await fs.stat(inp).catch(() => undefined);
    const same = out === inp || (outStat && inStat && outStat.ino === inStat.ino && outStat.dev === inStat.dev);
    if (same) {
      throw new UserError(ErrorCodes.OUT_IS_INPUT, `--out ${outPath} is the input model; mc never overwrites its input`, { hint: 'choose another output path' });
    }
  }
}

/** Write `parts` in order to a temp file, then rename over `path`. */
export async function writeFileAtomic(path: string, parts: Uint8Array | readonly Uint8Array[] | string): Promise<number> {
  const tmp = tempPathFor(path);
  let bytes = 0;
  const handle = await fs.open(tmp, 'wx').catch((e: NodeJS.ErrnoException) => {
    throw new UserError(ErrorCodes.UNWRITABLE, `cannot write ${path}: ${e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOENT' ? 'folder does not exist' : e.message}`);
  });
  try {
    const list = typeof parts === 'string' ? [Buffer.from(parts)] : parts instanceof Uint8Array ? [parts] : parts;
    for (const part of list) {
      let off = 0;
      while (off < part.byteLength) {
        const { bytesWritten } = await handle.write(part, off, part.byteLength - off);
        off += bytesWritten;
      }
      bytes += part.byteLength;
    }
    await handle.sync();
    await handle.close();
    await fs.rename(tmp, path);
    return bytes;
  } catch (e) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
