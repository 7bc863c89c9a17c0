/** @mc-kit/core's own version: plugins record the version they were built against (definePlugin). */
export const CORE_VERSION = '0.1.0';
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
