/** hf:owner/name[@rev] references: parse, download once into the cache, hand back a folder. */
export { parseHubRef, isHubRef, HUB_PREFIX, DEFAULT_HUB_REVISION, type HubRef } from './parse-ref.js';
export { resolveHubRef, type HubResolveOptions, type ResolvedHubRef } from './download.js';
export { defaultFileFilter, type HubKind } from './select-files.js';
export { hubUrlFrom, hubCacheDirFrom, DEFAULT_HUB_URL } from './cache.js';
