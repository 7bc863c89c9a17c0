import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
 * Can a plugin built against core `pluginCore` run with this core? Caret rules: same major, and
 * for 0.x the same minor (0.x minors may break).
 */
export function isCompatibleCore(pluginCore: string, ours: string = CORE_VERSION): boolean {
  const a = pluginCore.split('.').map(Number);
  const b = ours.split('.').map(Number);
  if (a.length < 2 || a.some((n) => !Number.isInteger(n))) return false;
  return a[0] === b[0] && (a[0] !== 0 || a[1] === b[1]);
}
