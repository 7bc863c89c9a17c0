/**
 * Writes that leave nothing half-written: data goes to a temp file in the destination folder, then
 * a rename (atomic on one filesystem). On any failure, and on exit (temp-paths.ts), the temp file is
 * removed.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BugError, ErrorCodes, UserError } from './errors.js';
import { pidAlive, trackTemp, untrackTemp } from './temp-paths.js';

/** `.name.<pid>-<random>.tmp` beside `path`: the pid lets a later run tell a dead writer's leftovers. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
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
    await removeDeadProbes(dir);
  } catch (e) {
    if ((e as { isMcError?: boolean }).isMcError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' && !(await exists(dir));
    throw new UserError(
      ErrorCodes.UNWRITABLE,
      missing
        ? `cannot write ${what}: folder ${dir} does not exist`
        : `cannot write ${what}: folder ${dir} is not writable (${code ?? 'error'})`,
      { hint: missing ? 'create the folder first' : 'choose a folder you can write' },
    );
  }
}

const PROBE_NAME = /^\.probe\.(\d+)-[0-9a-f]{8}\.tmp$/;

/** A run SIGKILLed between creating and removing its probe leaves it: the next run removes it (its pid is dead). */
async function removeDeadProbes(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const pid = PROBE_NAME.exec(name)?.[1];
    if (pid !== undefined && !pidAlive(Number(pid))) await fs.rm(join(dir, name), { force: true });
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
      throw new UserError(
        ErrorCodes.OUT_IS_INPUT,
        `--out ${outPath} is the input model; mc never overwrites its input`,
        { hint: 'choose another output path' },
      );
    }
  }
}

/** Write `parts` in order to a temp file, then rename over `path`. */
export async function writeFileAtomic(
  path: string,
  parts: Uint8Array | readonly Uint8Array[] | string,
): Promise<number> {
  const tmp = tempPathFor(path);
  const bytes = await writeTemp(tmp, path, parts);
  try {
    await fs.rename(tmp, path);
    return bytes;
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  } finally {
    untrackTemp(tmp);
  }
}

/**
 * Write a new file under a name that no other writer takes: `name(attempt)` for attempt 0, 1, ...
 * (undefined: no other name; the EEXIST error is thrown). The data goes to a temp file that is then
 * hard-linked to the name (link(2) fails where the name exists, so two writers never replace each
 * other's file, unlike rename), and the temp is removed: a reader never sees the file part-written.
 */
export async function writeFileExclusive(
  dir: string,
  name: (attempt: number) => string | undefined,
  parts: Uint8Array | readonly Uint8Array[] | string,
): Promise<string> {
  const first = name(0);
  if (first === undefined) throw new BugError('writeFileExclusive: name(0) must give a name');
  const tmp = tempPathFor(join(dir, first));
  await writeTemp(tmp, join(dir, first), parts);
  try {
    for (let attempt = 0; ; attempt++) {
      const path = join(dir, name(attempt) ?? first);
      try {
        await fs.link(tmp, path).catch(async (e: NodeJS.ErrnoException) => {
          // a filesystem without hard links (FAT, some network mounts): an exclusive copy instead
          if (e.code === 'EPERM' || e.code === 'ENOTSUP' || e.code === 'EOPNOTSUPP')
            await fs.copyFile(tmp, path, constants.COPYFILE_EXCL);
          else throw e;
        });
        return path;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100 || name(attempt + 1) === undefined)
          throw e;
      }
    }
  } finally {
    await fs.rm(tmp, { force: true });
    untrackTemp(tmp);
  }
}

/** Write and sync `parts` to a new temp file (tracked; removed on failure). */
async function writeTemp(
  tmp: string,
  path: string,
  parts: Uint8Array | readonly Uint8Array[] | string,
): Promise<number> {
  let bytes = 0;
  const handle = await fs.open(tmp, 'wx').catch((e: NodeJS.ErrnoException) => {
    throw new UserError(
      ErrorCodes.UNWRITABLE,
      `cannot write ${path}: ${e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOENT' ? 'folder does not exist' : e.message}`,
    );
  });
  trackTemp(tmp);
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
    return bytes;
  } catch (e) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    untrackTemp(tmp);
    throw e;
  }
}

/**
 * Check, creating nothing, that `dir` can take files: every part of it that exists is a folder and
 * the deepest existing one is writable. For outputs written after the work (--results), so a bad path
 * is found before the work starts and a failed run leaves no empty folder behind.
 */
export async function assertCanCreateDir(dir: string, what: string): Promise<void> {
  let p = resolve(dir);
  for (;;) {
    const st = await fs.stat(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
      throw new UserError(ErrorCodes.UNWRITABLE, `cannot write ${what}: ${p} (${e.code ?? e.message})`);
    });
    if (st) return assertWritableDir(p, what);
    const parent = dirname(p);
    if (parent === p) throw new UserError(ErrorCodes.UNWRITABLE, `cannot write ${what}: no part of ${dir} exists`);
    p = parent;
  }
}

/**
 * `mkdir -p`, one level at a time. Node's recursive mkdir never returns where a parent exists but
 * refuses children with ENOENT (/proc): it climbs to the parent, finds it, and tries again forever.
 */
export async function makeDirs(dir: string, what: string): Promise<void> {
  const abs = resolve(dir);
  const missing: string[] = [];
  for (let p = abs; ; p = dirname(p)) {
    const st = await fs.stat(p).catch(() => undefined);
    if (st?.isDirectory()) break;
    if (st) throw new UserError(ErrorCodes.UNWRITABLE, `cannot write ${what}: ${p} is not a folder`);
    if (dirname(p) === p) break;
    missing.unshift(p);
  }
  for (const p of missing) {
    await fs.mkdir(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST')
        throw new UserError(ErrorCodes.UNWRITABLE, `cannot create ${what} ${abs}: ${p} (${e.code ?? e.message})`, {
          hint: 'choose another folder',
        });
    });
  }
}
