/**
 * How to write "this mc" in a command the user will paste: `mc` when that name on PATH is the running
 * mc, else the absolute path it was started from (a checkout's bin/mc, an npx cache...).
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export function mcCommand(bin: string, script: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (!script) return bin;
  const running = realpath(resolve(script));
  const onPath = findOnPath(bin, env);
  if (onPath && realpath(onPath) === running) return bin;
  return shellWord(resolve(script));
}

export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** A path as a shell word. */
export function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
