/**
 * Runs every installed plugin's `mc:register` hook (first-party and community alike, no shortcut)
 * and registers what each returns. A plugin that throws, returns garbage, or was built for an
 * incompatible core is named in one warning line and skipped; mc keeps working.
 */
import {
  CORE_VERSION,
  isCompatibleCore,
  isMcError,
  Registry,
  type PluginManifest,
  type RegisterHookOptions,
} from '@mc-kit/core';
import type { Interfaces } from '@oclif/core';
import semver from 'semver';

declare module '@oclif/core' {
  interface Hooks {
    'mc:register': { options: RegisterHookOptions; return: PluginManifest };
  }
}

export interface LoadedPlugins {
  readonly registry: Registry;
  readonly warnings: string[];
}

/** Core plugins (bundled with the CLI) first, then user-installed and linked ones, by name. */
function rank(type: string): number {
  return type === 'core' ? 0 : type === 'user' ? 1 : 2;
}

export async function loadPlugins(config: Interfaces.Config): Promise<LoadedPlugins> {
  const registry = new Registry();
  const warnings: string[] = [];
  const { successes, failures } = await config.runHook(
    'mc:register',
    { container: registry.container, coreVersion: CORE_VERSION },
    undefined,
    true,
  );
  for (const f of failures) {
    warnings.push(`plugin ${f.plugin.name} failed to load and was skipped: ${firstLine(f.error)}`);
  }
  const ordered = [...successes].sort(
    (a, b) => rank(a.plugin.type) - rank(b.plugin.type) || a.plugin.name.localeCompare(b.plugin.name),
  );
  for (const { plugin, result } of ordered) {
    const origin = { name: plugin.name, version: plugin.version };
    const built = (result as Partial<PluginManifest> | undefined)?.coreVersion;
    if (typeof built === 'string' && !isCompatibleCore(built)) {
      warnings.push(`plugin ${plugin.name}@${plugin.version} ${coreMismatch(built)}; skipped`);
      continue;
    }
    try {
      registry.addPlugin(origin, result);
    } catch (e) {
      // Registration is all or nothing (Registry.addPlugin): a skipped plugin holds no id.
      warnings.push(
        `plugin ${plugin.name}@${plugin.version} was skipped: ${firstLine(e).replace(`plugin ${plugin.name}: `, '')}`,
      );
    }
  }
  warnings.push(...registry.conflictMessages().map((m) => `${m}; that id cannot be used until one is uninstalled`));
  return { registry, warnings };
}

/** Which way the versions part: an older mc is fixed by updating mc, a plugin for an older core by its author. */
function coreMismatch(built: string): string {
  const newer = semver.valid(built) !== null && semver.gt(built, CORE_VERSION);
  return newer
    ? `was built for @mc-kit/core ${built}, newer than this mc's core ${CORE_VERSION}: update mc (npm i -g @mc-kit/cli)`
    : `was built for @mc-kit/core ${built}, incompatible with this mc's core ${CORE_VERSION}`;
}

function firstLine(e: unknown): string {
  const msg = isMcError(e) || e instanceof Error ? (e as Error).message : String(e);
  return msg.split('\n')[0];
}
