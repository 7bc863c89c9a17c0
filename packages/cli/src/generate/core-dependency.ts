/**
 * Which @mc-kit/core a new plugin builds against. The running mc's core version from the user's
 * registry when it is there; otherwise this mc's own core folder (`file:`), said in one line, so
 * `npm install` in the new package works on a machine whose registry has never seen @mc-kit/core.
 * `--core SPEC` overrides both.
 */
import { runNpm, type Npm } from '../npm/npm.js';

export interface CoreDependency {
  /** what the new package's devDependencies say for @mc-kit/core */
  readonly spec: string;
  readonly source: 'registry' | 'local' | 'flag';
  /** one line for the user when the local core is used, and why */
  readonly note?: string;
}

export async function chooseCoreDependency(options: {
  flag?: string;
  coreVersion: string;
  coreRoot: string;
  packageName: string;
  cwd: string;
  npm?: Npm;
}): Promise<CoreDependency> {
  if (options.flag) return { spec: options.flag, source: 'flag' };
  const npm = options.npm ?? runNpm;
  // npm's own registry setting (npm_config_registry, .npmrc): the one the printed `npm install` uses.
  const r = await npm(['view', `@mc-kit/core@${options.coreVersion}`, 'version', '--json', '--fetch-retries=0'], {
    cwd: options.cwd,
    timeoutMs: 30_000,
  }).catch(() => undefined);
  if (r?.code === 0 && r.stdout.includes(`"${options.coreVersion}"`))
    return { spec: options.coreVersion, source: 'registry' };
  const registry = await npm(['config', 'get', 'registry'], { cwd: options.cwd, timeoutMs: 10_000 })
    .then((c) => c.stdout.trim())
    .catch(() => '');
  const missing =
    r !== undefined &&
    (r.code === 0 || /E404|404 Not Found|is not in this registry|No match found/.test(`${r.stdout}${r.stderr}`));
  const where = registry || 'your npm registry';
  return {
    spec: `file:${options.coreRoot}`,
    source: 'local',
    note: `@mc-kit/core ${options.coreVersion} ${missing ? 'is not on' : 'could not be looked up on'} ${where}: ${options.packageName} builds against this mc's own core (file:${options.coreRoot})`,
  };
}
