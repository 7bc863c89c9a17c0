/**
 * Where downloads go and where they come from. The cache uses the Hugging Face layout that
 * @huggingface/hub's downloadFileToCacheDir writes:
 *   <cacheDir>/models--owner--name/blobs/<etag>              file contents, once each
 *   <cacheDir>/models--owner--name/snapshots/<commit>/<path>  symlinks into blobs/
 *   <cacheDir>/models--owner--name/refs/<rev>                 the commit a branch or tag pointed at
 * (datasets--owner--name for datasets). We write refs/<rev> only after every selected file of that
 * commit is in place, so a ref file means "this snapshot is complete" when we are offline.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { HubRef } from './parse-ref.js';
import type { HubKind } from './select-files.js';

export const DEFAULT_HUB_URL = 'https://huggingface.co';
const COMMIT = /^[0-9a-f]{40}$/;

/** options.hubUrl, else MC_HUB_URL, else HF_ENDPOINT (as huggingface_hub reads it), else the public hub. */
export function hubUrlFrom(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = option || env['MC_HUB_URL'] || env['HF_ENDPOINT'] || DEFAULT_HUB_URL;
  return url.replace(/\/+$/, '');
}

/** options.cacheDir, else $MC_CACHE_DIR/hub, else ~/.cache/mc/hub. */
export function hubCacheDirFrom(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (option) return option;
  const base = env['MC_CACHE_DIR'] || join(homedir(), '.cache', 'mc');
  return join(base, 'hub');
}

export function isCommitHash(rev: string): boolean {
  return COMMIT.test(rev);
}

/** The repo's folder in the cache: same naming as the library's getRepoFolderName. */
export function repoCacheFolder(cacheDir: string, kind: HubKind, ref: HubRef): string {
  return join(cacheDir, `${kind}s--${ref.owner}--${ref.name}`);
}

export function snapshotDir(cacheDir: string, kind: HubKind, ref: HubRef, commit: string): string {
  return join(repoCacheFolder(cacheDir, kind, ref), 'snapshots', commit);
}

/** Record that `ref.revision` resolved to `commit` and its snapshot is complete. */
export async function writeRef(cacheDir: string, kind: HubKind, ref: HubRef, commit: string): Promise<void> {
  if (ref.revision === commit) return;
  const file = join(repoCacheFolder(cacheDir, kind, ref), 'refs', ref.revision);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, commit);
}

/** The commit a complete cached snapshot exists for, without asking the hub; undefined if none. */
export function cachedCommit(cacheDir: string, kind: HubKind, ref: HubRef): string | undefined {
  let commit: string | undefined;
  if (isCommitHash(ref.revision)) {
    commit = ref.revision;
  } else {
    const file = join(repoCacheFolder(cacheDir, kind, ref), 'refs', ref.revision);
    if (!existsSync(file)) return undefined;
    commit = readFileSync(file, 'utf8').trim();
    if (!isCommitHash(commit)) return undefined;
  }
  return existsSync(snapshotDir(cacheDir, kind, ref, commit)) ? commit : undefined;
}

/** Files under a snapshot folder, repo-relative with '/', following the symlinks into blobs/. */
export function snapshotFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (existsSync(p) && statSync(p).isFile()) out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}
