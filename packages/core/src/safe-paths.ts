/**
 * Reading only what the user handed over. A model or dataset names other files (external data, the
 * evidence of a QA set, the arrays of a u8 set, a hub snapshot's files); each must be a regular file
 * inside the folder that names it, after every symlink is resolved: `../../SECRET.txt`, an absolute
 * path, and `w.bin -> /etc/passwd` are all refused. A path the user typed must be a regular file (or
 * a folder) too: a FIFO or a character device would block or never end.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ErrorCodes, UserError, type ErrorCode as Code } from './errors.js';

/** Is `child` (a resolved real path) `parent` itself or below it? */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The real path of `name` under `dir`, which must be a regular file inside `dir` once symlinks are
 * resolved. `what` names the file in the message ("evidence file of question 7", "external data of w").
 */
export function regularFileInside(
  dir: string,
  name: string,
  what: string,
  code: Code = ErrorCodes.BAD_DATASET,
): string {
  const base = realOrThrow(resolve(dir), `the folder of ${what}`, code);
  const lexical = resolve(base, name);
  if (isAbsolute(name) || !isInside(base, lexical) || lexical === base) {
    throw new UserError(code, `${what} points outside its folder (${name})`, {
      hint: `every file it names must sit inside ${dir}, by a relative path`,
    });
  }
  const real = realOrThrow(lexical, what, code);
  if (!isInside(containmentRoot(base), real)) {
    throw new UserError(code, `${what} is a link that leads outside its folder (${name} -> ${real})`, {
      hint: `every file it names must sit inside ${dir}; copy the file there instead of linking it`,
    });
  }
  assertRegularFile(real, what, code);
  return real;
}

/**
 * A hub snapshot (`…/models--owner--name/snapshots/<commit>/`, the Hugging Face cache layout) holds
 * symlinks into the repo's `blobs/`: its files may resolve anywhere inside the repo's cache folder.
 */
export function containmentRoot(realDir: string): string {
  const m = /^(.*[\\/](?:models|datasets)--[^\\/]+--[^\\/]+)[\\/]snapshots[\\/][0-9a-f]{40}(?:[\\/]|$)/.exec(realDir);
  return m ? m[1] : realDir;
}

/** A path the user gave: a regular file (following links), never a FIFO, socket or device. */
export function assertRegularFile(path: string, what: string, code: Code = ErrorCodes.BAD_PARAM): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new UserError(ErrorCodes.FILE_NOT_FOUND, `${what} not found: ${path}`);
  if (!st.isFile())
    throw new UserError(code, `${what} ${path} is ${kindOf(st)}, not a regular file`, {
      hint: 'mc reads models and datasets from regular files only',
    });
}

/** A path the user gave as a folder or a file: regular files and folders only. */
export function assertFileOrFolder(path: string, what: string, code: Code = ErrorCodes.BAD_PARAM): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new UserError(ErrorCodes.FILE_NOT_FOUND, `${what} not found: ${path}`);
  if (!st.isFile() && !st.isDirectory())
    throw new UserError(code, `${what} ${path} is ${kindOf(st)}, not a regular file or a folder`, {
      hint: 'mc reads models and datasets from regular files only',
    });
}

function kindOf(st: ReturnType<typeof statSync> & object): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function realOrThrow(path: string, what: string, code: Code): string {
  try {
    return realpathSync(path);
  } catch (e) {
    const c = (e as NodeJS.ErrnoException).code;
    if (c === 'ENOENT' || c === 'ENOTDIR') throw new UserError(ErrorCodes.FILE_NOT_FOUND, `${what} not found: ${path}`);
    throw new UserError(code, `cannot read ${what}: ${path} (${c ?? String(e)})`);
  }
}
