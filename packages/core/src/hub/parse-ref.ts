/**
 * `hf:owner/name[@rev]`: a Hugging Face Hub repository at a revision (branch, tag or commit; 'main'
 * when left out). Only that form: no path inside the repo (the whole repo is fetched, filtered, and
 * the caller looks inside the folder), no `datasets/` prefix (the caller says which kind it wants).
 */
import { ErrorCodes, UserError } from '../errors.js';

export const HUB_PREFIX = 'hf:';
export const DEFAULT_HUB_REVISION = 'main';

export interface HubRef {
  /** the reference as written */
  readonly ref: string;
  readonly owner: string;
  readonly name: string;
  /** `owner/name`, as the hub API spells it */
  readonly repo: string;
  readonly revision: string;
}

// The hub's own rules for a namespace or repo name: letters, digits, '-', '_', '.', at most 96,
// not starting or ending with '-' or '.', and no '--' or '..' (they would break the cache layout,
// which joins owner and name with '--').
const PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$/;
// Branches and tags may hold '/' (e.g. refs/pr/1); '..' or a leading '/' could walk out of refs/.
const REV = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

export function isHubRef(ref: string): boolean {
  return ref.startsWith(HUB_PREFIX);
}

function bad(ref: string, why: string): UserError {
  return new UserError(ErrorCodes.BAD_PARAM, `bad hub reference ${JSON.stringify(ref)}: ${why}`, {
    hint: 'write hf:owner/name or hf:owner/name@revision (a branch, tag or commit), e.g. hf:onnx-community/gpt2@main',
  });
}

export function parseHubRef(ref: string): HubRef {
  if (!isHubRef(ref)) throw bad(ref, `it does not start with ${HUB_PREFIX}`);
  const body = ref.slice(HUB_PREFIX.length);
  const at = body.indexOf('@');
  const repo = at < 0 ? body : body.slice(0, at);
  const revision = at < 0 ? DEFAULT_HUB_REVISION : body.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length !== 2) throw bad(ref, 'expected exactly one "/" between owner and name');
  const [owner, name] = parts as [string, string];
  for (const p of parts) {
    if (!PART.test(p) || p.includes('--') || p.includes('..')) {
      throw bad(ref, `"${p}" is not a valid owner or repository name`);
    }
  }
  if (!REV.test(revision) || revision.split('/').some((s) => s === '.' || s === '..')) {
    throw bad(ref, `"${revision}" is not a valid revision`);
  }
  return { ref, owner, name, repo, revision };
}
