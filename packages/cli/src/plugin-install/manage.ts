/**
 * `mc plugins uninstall` and `mc plugins update`, over the same plugin folder as install (npm with
 * install scripts off unless --allow-scripts, @mc-kit/core kept pointing at this mc's core).
 */
import { copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCodes, UserError } from '@mc-kit/core';
import { npmReason } from '../npm/npm.js';
import { PluginDataDir, localTarballName, type PluginEntry } from './data-dir.js';
import type { PluginEnvironment } from './install.js';
import {
  checkCore,
  readFolderManifest,
  readTarballManifest,
  viewRegistryManifest,
  type PluginPackage,
} from './manifest.js';

export interface UninstallReport {
  readonly kind: 'plugin-uninstall';
  readonly removed: { readonly name: string; readonly type: string }[];
}

export async function uninstallPlugins(
  names: readonly string[],
  env: PluginEnvironment,
  cwd: string,
): Promise<UninstallReport> {
  const data = new PluginDataDir(env.dataDir, env.cliName);
  const entries = data.entries();
  // Everything is looked up first: one unknown name and nothing is removed.
  const targets = names.map((given) => {
    const found = entries.find(
      (e) => e.name === given || (e.type === 'link' && e.root && resolve(cwd, given) === resolve(e.root)),
    );
    if (found) return found;
    if (env.bundled.includes(given))
      throw new UserError(ErrorCodes.PLUGIN_INSTALL, `${given} comes with mc and cannot be uninstalled`, {
        hint: 'mc plugins lists the plugins you installed or linked',
      });
    throw new UserError(ErrorCodes.UNKNOWN_ID, `${given} is not installed`, {
      hint: entries.length
        ? `installed or linked: ${entries.map((e) => e.name).join(', ')}`
        : 'no plugins are installed (mc plugins)',
    });
  });
  const removed: UninstallReport['removed'] = [];
  for (const entry of targets) {
    const spec = data.read().dependencies?.[entry.name];
    if (entry.type === 'user' && existsSync(join(data.dir, 'node_modules', entry.name))) {
      data.write(data.withCore(data.read(), env.coreRoot));
      const r = await env.npm(['uninstall', entry.name, '--ignore-scripts'], { cwd: data.dir, registry: env.registry });
      if (r.code !== 0)
        throw new UserError(ErrorCodes.PLUGIN_INSTALL, `npm could not uninstall ${entry.name}: ${npmReason(r)}`, {
          hint: "mc plugins uninstall --verbose shows npm's whole output",
        });
    }
    data.removeEntry(entry.name);
    if (spec?.startsWith('file:local/')) rmSync(join(data.dir, spec.slice('file:'.length)), { force: true });
    removed.push({ name: entry.name, type: entry.type });
  }
  return { kind: 'plugin-uninstall', removed };
}

export interface UpdateReport {
  readonly kind: 'plugin-update';
  readonly scripts: 'off' | 'allowed';
  readonly updated: { readonly name: string; readonly from: string; readonly to: string }[];
  /** plugins left as they were, and why */
  readonly kept: { readonly name: string; readonly version: string; readonly reason: string }[];
}

/**
 * Every installed plugin to the newest version its tag allows (registry), or to what its folder or
 * tarball holds now. A newer version built for another core is not taken: the plugin is kept, and
 * the report says why. Linked plugins are used in place and need no update.
 */
export async function updatePlugins(
  names: readonly string[],
  options: { allowScripts: boolean },
  env: PluginEnvironment,
): Promise<UpdateReport> {
  const data = new PluginDataDir(env.dataDir, env.cliName);
  const all = data.entries().filter((e) => e.type === 'user');
  const unknown = names.filter((n) => !all.some((e) => e.name === n));
  if (unknown.length)
    throw new UserError(ErrorCodes.UNKNOWN_ID, `not installed: ${unknown.join(', ')}`, {
      hint: all.length ? `installed: ${all.map((e) => e.name).join(', ')}` : 'no plugins are installed (mc plugins)',
    });
  const chosen = names.length ? all.filter((e) => names.includes(e.name)) : all;

  const specs = new Map<string, string>();
  const kept: UpdateReport['kept'][number][] = [];
  const current = new Map<string, string>();
  for (const entry of chosen) {
    const now = installedVersion(data, entry.name);
    current.set(entry.name, now);
    const next = await candidate(entry, data, env, options.allowScripts).catch((e: Error) => ({ reason: e.message }));
    if ('reason' in next) {
      kept.push({ name: entry.name, version: now, reason: next.reason });
      continue;
    }
    try {
      checkCore(next.pkg, env.coreVersion);
    } catch (e) {
      kept.push({
        name: entry.name,
        version: now,
        reason: `${next.pkg.version} ${(e as Error).message.replace(/^\S+ /, '')}`,
      });
      continue;
    }
    if (next.pkg.version === now && entry.url === undefined) continue;
    specs.set(entry.name, next.spec);
  }
  const updated: UpdateReport['updated'][number][] = [];
  if (specs.size) {
    const snapshot = data.snapshot();
    data.write(data.withCore(data.read(), env.coreRoot));
    const r = await env.npm(
      ['install', ...specs.values(), '--save', '--omit=dev', ...(options.allowScripts ? [] : ['--ignore-scripts'])],
      { cwd: data.dir, registry: env.registry },
    );
    if (r.code !== 0) {
      data.restore(snapshot);
      throw new UserError(ErrorCodes.PLUGIN_INSTALL, `npm could not update the plugins: ${npmReason(r)}`, {
        hint: "mc plugins update --verbose shows npm's whole output",
      });
    }
    // A folder or tarball is installed again even at the same version: its files may have changed.
    for (const name of specs.keys()) updated.push({ name, from: current.get(name)!, to: installedVersion(data, name) });
  }
  return { kind: 'plugin-update', scripts: options.allowScripts ? 'allowed' : 'off', updated, kept };
}

function installedVersion(data: PluginDataDir, name: string): string {
  try {
    return readFolderManifest(join(data.dir, 'node_modules', name), name).version;
  } catch {
    return 'missing';
  }
}

/** What npm would install for this entry now, with its manifest. */
async function candidate(
  entry: PluginEntry,
  data: PluginDataDir,
  env: PluginEnvironment,
  allowScripts: boolean,
): Promise<{ spec: string; pkg: PluginPackage }> {
  if (!entry.url) {
    const tag = entry.tag ?? 'latest';
    const pkg = await viewRegistryManifest(env.npm, entry.name, tag, data.dir, env.registry);
    return { spec: `${entry.name}@${tag}`, pkg };
  }
  if (!/^(\/|[a-zA-Z]:[\\/])/.test(entry.url)) {
    return { spec: entry.url, pkg: { name: entry.name, version: 'from its URL' } }; // npm re-fetches the URL
  }
  if (!existsSync(entry.url)) throw new Error(`its source ${entry.url} is gone`);
  const folder = statSync(entry.url).isDirectory();
  const pkg = folder ? readFolderManifest(entry.url, entry.url) : await readTarballManifest(entry.url, entry.url);
  const file = join(data.localDir, localTarballName(pkg.name, pkg.version));
  if (folder) {
    const r = await env.npm(
      ['pack', entry.url, '--pack-destination', data.localDir, ...(allowScripts ? [] : ['--ignore-scripts'])],
      { cwd: data.dir, registry: env.registry },
    );
    if (r.code !== 0) throw new Error(`npm could not pack ${entry.url}: ${npmReason(r)}`);
  } else {
    copyFileSync(entry.url, file);
  }
  return { spec: `file:local/${localTarballName(pkg.name, pkg.version)}`, pkg };
}
