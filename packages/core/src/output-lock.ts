/**
 * One writer per output: an exclusive lock file beside the target (`.NAME.mc-lock`), created whole
 * (written aside, then hard-linked: writeFileExclusive) and holding the holder's pid, host, command and start time, so a second run on the same
 * --out is refused naming the first. The lock lives for the run; it is removed on release and on any
 * exit but SIGKILL (temp-paths.ts). A lock whose process no longer runs (same host) is taken over.
 *
 * Hand-written rather than proper-lockfile: that library keeps a lock alive by refreshing its mtime on
 * a timer and calls it stale only after a delay, so a re-run right after a SIGKILL would be refused,
 * and it records no holder to name. Here staleness is a pid check, immediate and exact on one host;
 * on another host's lock (a shared filesystem) the lock is never taken over.
 */
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { writeFileExclusive } from './atomic-write.js';
import { ErrorCodes, isMcError, UserError } from './errors.js';
import { pidAlive, trackTemp, untrackTemp } from './temp-paths.js';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly started: string;
}

export interface OutputLock {
  readonly path: string;
  release(): Promise<void>;
}

export function lockPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.mc-lock`);
}

/** A lock file that cannot be parsed is being written right now, unless it is older than this. */
const UNREADABLE_STALE_MS = 10_000;

/** Take the lock of `target` or throw E_OUTPUT_LOCKED naming the run that holds it. */
export async function lockOutput(target: string, flag = '--out'): Promise<OutputLock> {
  const path = lockPathFor(target);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    command: commandLine(),
    started: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // created with its content in one step: a second run never reads a lock without its holder
      await writeFileExclusive(
        dirname(path),
        (attempt) => (attempt === 0 ? basename(path) : undefined),
        `${JSON.stringify(me)}\n`,
      );
      trackTemp(path);
      return {
        path,
        release: async () => {
          untrackTemp(path);
          await fs.rm(path, { force: true });
        },
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        // writeFileExclusive's own refusal (a folder we cannot write) says why in words; a system error by its code
        const why = isMcError(e) ? e.message.replace(/^cannot write [^:]*: /, '') : (code ?? String(e));
        throw new UserError(
          ErrorCodes.UNWRITABLE,
          `cannot write ${flag} ${target}: the lock file ${path} cannot be created (${why})`,
          { hint: 'choose a folder you can write' },
        );
      }
    }
    const held = await readHolder(path);
    if (held.stale) {
      await removeIfUnchanged(path, held.raw);
      continue;
    }
    const h = held.holder;
    throw new UserError(
      ErrorCodes.OUTPUT_LOCKED,
      h
        ? `${flag} ${target} is being written by another mc run (pid ${h.pid}${h.host !== me.host ? ` on ${h.host}` : ''}, since ${h.started}: ${h.command})`
        : `${flag} ${target} is being written by another mc run (lock file ${path})`,
      { hint: `wait for that run to end, or choose another ${flag}; if no such run exists, delete ${path}` },
    );
  }
  throw new UserError(ErrorCodes.OUTPUT_LOCKED, `${flag} ${target}: could not take the lock ${path}`, {
    hint: 'another run keeps taking it; try again',
  });
}

async function readHolder(path: string): Promise<{ stale: boolean; raw?: string; holder?: LockHolder }> {
  const raw = await fs.readFile(path, 'utf8').catch(() => undefined);
  if (raw === undefined) return { stale: true }; // released meanwhile: try again
  let holder: LockHolder | undefined;
  try {
    const v = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string')
      holder = { pid: v.pid, host: v.host, command: String(v.command ?? ''), started: String(v.started ?? '') };
  } catch {
    // being written: see below
  }
  if (!holder) {
    const age = await fs.stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => Infinity,
    );
    return { stale: age > UNREADABLE_STALE_MS, raw };
  }
  return { stale: holder.host === hostname() && !pidAlive(holder.pid), raw, holder };
}

/** Remove a stale lock only if it still holds what we read (another run may have taken it over first). */
async function removeIfUnchanged(path: string, raw: string | undefined): Promise<void> {
  if (raw === undefined) return;
  const now = await fs.readFile(path, 'utf8').catch(() => undefined);
  if (now === raw) await fs.rm(path, { force: true });
}

function commandLine(): string {
  const args = process.argv.slice(2).map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a));
  return ['mc', ...args].join(' ').slice(0, 300);
}
