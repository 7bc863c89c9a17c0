import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

/**
 * The folder @mc-kit/core runs from (its package.json is there), whether from src/ or dist/. mc hands
 * it to npm as `file:` so that plugins are built and installed against this very core.
 */
export const CORE_ROOT: string = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');

/**
 * @mc-kit/core's own version, read from its package.json so that `lerna version` cannot leave it
 * behind: plugins record the version they were built against (definePlugin), results record it.
 */
export const CORE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
/** Results files carry this; bump when the result layout changes. */
export const RESULT_SCHEMA_VERSION = 1;

/**
 * Can a plugin built against core `pluginCore` run with this core? Exactly `^pluginCore`, read from the
 * plugin's side: the same major, for 0.x the same minor (0.x minors may break), and this core no older
 * than the plugin's. The last part matters because an addition to the API is only a patch release
 * before 1.0 (api:bump), so a plugin built against 0.1.9 may call what 0.1.0 lacks.
 */
export function isCompatibleCore(pluginCore: string, ours: string = CORE_VERSION): boolean {
  const built = semver.valid(pluginCore);
  return built !== null && semver.satisfies(ours, `^${built}`, { includePrerelease: true });
}
