import type { EntryKind, Registry } from '../registry.js';

/** name -> version of the plugins that provided the given ids (recorded in results). */
export function pluginVersions(registry: Registry, ids: readonly string[], kind: EntryKind): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of ids) {
    const { origin } = registry.entry(kind, id);
    out[origin.name] = origin.version;
  }
  return out;
}
