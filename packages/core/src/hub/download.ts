/**
 * resolveHubRef: `hf:owner/name[@rev]` -> a local folder, downloaded once through @huggingface/hub.
 *
 * Not snapshotDownload: it fetches every file of the repo (a model repo's .bin/.safetensors copies
 * and all ONNX variants) and reports no progress. We do its steps ourselves with the library's
 * parts: modelInfo/datasetInfo for the commit, listFiles at that commit, our file choice, then
 * downloadFileToCacheDir per missing file (same cache layout, so a file already under
 * snapshots/<commit>/ costs no request).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { RunContext } from '../contracts.js';
import { throwIfAborted } from '../context.js';
import { ErrorCodes, UserError, isMcError } from '../errors.js';
import { isInside } from '../safe-paths.js';
import {
  cachedCommit,
  hubCacheDirFrom,
  hubUrlFrom,
  isCommitHash,
  snapshotDir,
  snapshotFiles,
  writeRef,
} from './cache.js';
import { httpStatus, isUnreachable, progressFetch, withLibraryDebugTo } from './net.js';
import { parseHubRef, type HubRef } from './parse-ref.js';
import { defaultFileFilter, type HubKind } from './select-files.js';

export interface HubResolveOptions {
  /** default: MC_HUB_URL, else HF_ENDPOINT, else https://huggingface.co */
  hubUrl?: string;
  /** default: $MC_CACHE_DIR/hub, else ~/.cache/mc/hub */
  cacheDir?: string;
  /** which repo paths to fetch; default: see defaultFileFilter */
  files?: (path: string) => boolean;
}

export interface ResolvedHubRef {
  /** the snapshot folder: the repo's selected files at `commit`, laid out as in the repo */
  readonly dir: string;
  readonly commit: string;
  /** repo-relative paths ('/'-separated) present in `dir`, sorted */
  readonly files: string[];
}

interface Where {
  readonly hub: HubRef;
  readonly kind: HubKind;
  readonly hubUrl: string;
  readonly cacheDir: string;
}

export async function resolveHubRef(
  ref: string,
  kind: HubKind,
  ctx: RunContext,
  options: HubResolveOptions = {},
): Promise<ResolvedHubRef> {
  const where: Where = {
    hub: parseHubRef(ref),
    kind,
    hubUrl: hubUrlFrom(options.hubUrl),
    cacheDir: hubCacheDirFrom(options.cacheDir),
  };
  try {
    return await download(where, ctx, options.files);
  } catch (e) {
    throwIfAborted(ctx.signal);
    if (isMcError(e)) throw e;
    const cached = isUnreachable(e) ? fromCache(where, ctx, options.files) : undefined;
    if (cached) return cached;
    throw failure(where, e);
  }
}

/** Offline with a complete snapshot for this revision in the cache: use it, with one line. */
function fromCache(w: Where, ctx: RunContext, files: HubResolveOptions['files']): ResolvedHubRef | undefined {
  const commit = cachedCommit(w.cacheDir, w.kind, w.hub);
  if (commit === undefined) return undefined;
  const dir = snapshotDir(w.cacheDir, w.kind, w.hub, commit);
  const all = snapshotFiles(dir);
  ctx.log.warn(
    `cannot reach the model hub at ${w.hubUrl}; using the cached ${w.hub.ref} (commit ${commit.slice(0, 12)})`,
  );
  return { dir, commit, files: all.filter(files ?? defaultFileFilter(w.kind, all)) };
}

/** A library failure as one readable user error. */
function failure(w: Where, e: unknown): UserError {
  const { hub, hubUrl } = w;
  if (isUnreachable(e)) {
    return new UserError(ErrorCodes.FILE_NOT_FOUND, `cannot reach the model hub at ${hubUrl} to fetch ${hub.ref}`, {
      hint: 'check the network, or set MC_HUB_URL to a hub you can reach, or download the folder and pass its path',
      cause: e,
    });
  }
  const status = httpStatus(e);
  if (status === 401 || status === 403 || status === 404) {
    const what = hub.revision === 'main' ? `hf:${hub.repo}` : hub.ref;
    return new UserError(
      ErrorCodes.FILE_NOT_FOUND,
      `${what} not found on ${hubUrl}${w.kind === 'dataset' ? ' (as a dataset)' : ''}`,
      {
        hint: 'check the owner/name and revision; a private or gated repo needs HF_TOKEN set to a token with access',
        cause: e,
      },
    );
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new UserError(ErrorCodes.FILE_NOT_FOUND, `could not fetch ${hub.ref} from ${hubUrl}: ${msg}`, { cause: e });
}

/** HF_TOKEN as the library's accessToken; it rejects tokens not starting with hf_ with a TypeError. */
function accessToken(): { accessToken?: string } {
  const token = process.env['HF_TOKEN'];
  if (!token) return {};
  if (!token.startsWith('hf_')) {
    throw new UserError(ErrorCodes.BAD_PARAM, 'HF_TOKEN does not look like a Hugging Face token', {
      hint: 'tokens start with hf_; unset HF_TOKEN for public repos',
    });
  }
  return { accessToken: token };
}

async function download(w: Where, ctx: RunContext, files: HubResolveOptions['files']): Promise<ResolvedHubRef> {
  // Imported here, not at the top: every mc command loads core, and the library costs ~50 ms to load.
  const { datasetInfo, downloadFileToCacheDir, listFiles, modelInfo } = await import('@huggingface/hub');
  const { hub, kind, hubUrl, cacheDir } = w;
  let onBytes: (n: number) => void = () => {};
  const common = { hubUrl, fetch: progressFetch(hubUrl, ctx.signal, (n) => onBytes(n)), ...accessToken() };
  const repo = { type: kind, name: hub.repo } as const;

  const info =
    kind === 'model'
      ? await modelInfo({ ...common, name: hub.repo, revision: hub.revision, additionalFields: ['sha'] })
      : await datasetInfo({ ...common, name: hub.repo, revision: hub.revision, additionalFields: ['sha'] });
  const commit = (info as { sha?: unknown }).sha;
  if (typeof commit !== 'string' || !isCommitHash(commit)) throw new Error(`the hub gave no commit for ${hub.ref}`);

  const sizes = new Map<string, number>();
  for await (const e of listFiles({ ...common, repo, revision: commit, recursive: true })) {
    if (e.type === 'file') sizes.set(e.path, e.lfs?.size ?? e.size);
  }
  const keep = files ?? defaultFileFilter(kind, [...sizes.keys()]);
  const selected = [...sizes.keys()].filter(keep).sort();
  const dir = snapshotDir(cacheDir, kind, hub, commit);
  // the listing comes from a server: a path that climbs out of the snapshot is never written or read
  const outside = selected.find((p) => isAbsolute(p) || !isInside(dir, resolve(dir, p)) || resolve(dir, p) === dir);
  if (outside !== undefined)
    throw new UserError(
      ErrorCodes.BAD_DATASET,
      `${hub.ref}: the hub lists a file outside the repository (${outside})`,
      { hint: 'this hub or mirror is not to be trusted; nothing was downloaded' },
    );
  const missing = selected.filter((p) => !existsSync(join(dir, p)));
  await mkdir(dir, { recursive: true });

  if (missing.length > 0) {
    const total = missing.reduce((s, p) => s + (sizes.get(p) ?? 0), 0);
    const task = ctx.progress.start(`downloading ${hub.repo}`, total);
    try {
      for (const path of missing) {
        throwIfAborted(ctx.signal);
        let seen = 0;
        onBytes = (n) => {
          seen += n;
          task.tick(n);
        };
        await withLibraryDebugTo(ctx.log, () =>
          downloadFileToCacheDir({ ...common, repo, path, revision: commit, cacheDir }),
        );
        task.tick(Math.max(0, (sizes.get(path) ?? 0) - seen));
      }
    } catch (e) {
      task.fail(`downloading ${hub.ref} failed`);
      throw e;
    }
    task.done(`downloaded ${hub.ref} (${missing.length} files, ${(total / 1e6).toFixed(1)} MB)`);
  } else {
    ctx.log.debug(`${hub.ref}: all ${selected.length} files already in ${dir}`);
  }
  await writeRef(cacheDir, kind, hub, commit);
  return { dir, commit, files: selected };
}
