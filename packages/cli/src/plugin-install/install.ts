/**
 * `mc plugins install`: check everything that can be checked, then let npm install, then check that
 * mc loads the plugin; any failure puts the plugin folder back as it was (all or nothing).
 *
 *  1. what was given: a registry name, a folder, a tarball or a URL (source.ts);
 *  2. its package.json, before anything is fetched: an mc plugin, not one that comes with mc, and
 *     built for a core this mc has (manifest.ts);
 *  3. npm install into mc's plugin folder with install scripts off (--ignore-scripts) unless the
 *     user said --allow-scripts; @mc-kit/core resolves to this mc's own core (data-dir.ts);
 *  4. mc loads it: its hook runs and every id it declares registers without a conflict (verify).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ErrorCodes, UserError } from '@mc-kit/core';
import { npmReason, type Npm } from '../npm/npm.js';
import { PluginDataDir, localTarballName, type PluginEntry } from './data-dir.js';
import {
  checkCore,
  checkHookFilesPresent,
  checkIsMcPlugin,
  readFolderManifest,
  readTarballManifest,
  viewRegistryManifest,
  type PluginPackage,
} from './manifest.js';
import { parsePluginSource, type PluginSource } from './source.js';

export interface PluginEnvironment {
  readonly dataDir: string;
  /** the CLI's package name (oclif writes it into the data package.json) */
  readonly cliName: string;
  readonly coreRoot: string;
  readonly coreVersion: string;
  /** MC_NPM_REGISTRY, passed to npm as --registry; otherwise npm's own setting */
  readonly registry?: string;
  /** plugins that come with mc: never installed over */
  readonly bundled: readonly string[];
  readonly npm: Npm;
  /** Loads the plugins as mc will; resolves to the ids `name` provides, or throws the reason it cannot be used. */
  readonly verify: (name: string) => Promise<string[]>;
}

export interface InstallReport {
  readonly kind: 'plugin-install';
  readonly name: string;
  readonly version: string;
  readonly source: PluginSource['kind'];
  /** what was given, resolved: the registry spec, the absolute path, or the URL */
  readonly from: string;
  readonly scripts: 'off' | 'allowed';
  /** the @mc-kit/core the plugin runs with (this mc's) */
  readonly core: { readonly version: string; readonly root: string };
  /** ids the plugin provides, as `mc list` names them ('method my-quant') */
  readonly provides: string[];
}

export async function installPlugin(
  input: string,
  options: { cwd: string; allowScripts: boolean },
  env: PluginEnvironment,
): Promise<InstallReport> {
  const source = parsePluginSource(input, options.cwd);
  const data = new PluginDataDir(env.dataDir, env.cliName);
  const manifest = await manifestOf(source, env, options.cwd);
  if (manifest) checkInstallable(manifest, env);
  // Without scripts nothing builds the folder: its hook must be compiled already.
  if (manifest && source.kind === 'folder' && !options.allowScripts) checkHookFilesPresent(manifest, source.path);

  const snapshot = data.snapshot();
  data.write(data.withCore(data.read(), env.coreRoot));
  const before = new Set(Object.keys(data.read().dependencies ?? {}));
  let localCopy: string | undefined;
  let installed: string | undefined;
  try {
    const { spec, copy } = await stage(source, manifest, data, env, options.allowScripts);
    localCopy = copy;
    const r = await env.npm(
      ['install', spec, '--save', '--omit=dev', ...(options.allowScripts ? [] : ['--ignore-scripts'])],
      { cwd: data.dir, registry: env.registry },
    );
    if (r.code !== 0)
      throw new UserError(ErrorCodes.PLUGIN_INSTALL, `npm could not install ${source.input}: ${npmReason(r)}`, {
        hint: "mc plugins install --verbose shows npm's whole output",
      });
    const name = manifest?.name ?? Object.keys(data.read().dependencies ?? {}).find((d) => !before.has(d));
    if (!name)
      throw new UserError(ErrorCodes.PLUGIN_INSTALL, `npm installed nothing new from ${source.input}`, {
        hint: 'is it installed already? mc plugins lists what is',
      });
    installed = name;
    const actual = readFolderManifest(join(data.dir, 'node_modules', name), name);
    if (!manifest) checkInstallable(actual, env);
    checkHookFilesPresent(actual, join(data.dir, 'node_modules', name));
    data.addEntry(entryFor(source, actual));
    const provides = await env.verify(name);
    return {
      kind: 'plugin-install',
      name,
      version: actual.version,
      source: source.kind,
      from:
        source.kind === 'registry'
          ? `${source.name}@${source.range}`
          : source.kind === 'url'
            ? source.url
            : source.path,
      scripts: options.allowScripts ? 'allowed' : 'off',
      core: { version: env.coreVersion, root: env.coreRoot },
      provides,
    };
  } catch (e) {
    if (installed)
      await env
        .npm(['uninstall', installed, '--ignore-scripts'], { cwd: data.dir, registry: env.registry })
        .catch(() => undefined);
    data.restore(snapshot);
    if (localCopy) rmSync(localCopy, { force: true });
    throw e;
  }
}

async function manifestOf(
  source: PluginSource,
  env: PluginEnvironment,
  cwd: string,
): Promise<PluginPackage | undefined> {
  switch (source.kind) {
    case 'registry':
      return viewRegistryManifest(env.npm, source.name, source.range, cwd, env.registry);
    case 'folder':
      return readFolderManifest(source.path, source.input);
    case 'tarball':
      return readTarballManifest(source.path, source.input);
    default:
      return undefined; // a URL: npm fetches it, and the installed package.json is checked instead
  }
}

function checkInstallable(pkg: PluginPackage, env: PluginEnvironment): void {
  if (env.bundled.includes(pkg.name) || pkg.name === env.cliName || pkg.name === '@mc-kit/core') {
    throw new UserError(ErrorCodes.PLUGIN_INSTALL, `${pkg.name} comes with mc; it is not installed separately`, {
      hint: 'a newer one comes with a newer mc: npm install -g @mc-kit/cli',
    });
  }
  checkIsMcPlugin(pkg);
  checkCore(pkg, env.coreVersion);
}

/** The spec npm installs: a registry spec or URL as given; a tarball copied (a folder packed) into local/. */
async function stage(
  source: PluginSource,
  manifest: PluginPackage | undefined,
  data: PluginDataDir,
  env: PluginEnvironment,
  allowScripts: boolean,
): Promise<{ spec: string; copy?: string }> {
  if (source.kind === 'registry') return { spec: `${source.name}@${source.range}` };
  if (source.kind === 'url') return { spec: source.url };
  mkdirSync(data.localDir, { recursive: true });
  const file = join(data.localDir, localTarballName(manifest!.name, manifest!.version));
  const copy = existsSync(file) ? undefined : file; // a copy an earlier install still uses is kept on failure
  if (source.kind === 'tarball') {
    copyFileSync(source.path, file);
  } else {
    // npm pack writes what `npm publish` would: the package's "files", nothing else. Its prepack and
    // prepare scripts (a build) run only with --allow-scripts.
    const r = await env.npm(
      [
        'pack',
        source.path,
        '--pack-destination',
        data.localDir,
        '--json',
        ...(allowScripts ? [] : ['--ignore-scripts']),
      ],
      { cwd: data.dir, registry: env.registry },
    );
    if (r.code !== 0)
      throw new UserError(ErrorCodes.PLUGIN_INSTALL, `npm could not pack ${source.input}: ${npmReason(r)}`, {
        hint: "mc plugins install --verbose shows npm's whole output",
      });
  }
  return { spec: `file:${relative(data.dir, file).split('\\').join('/')}`, copy };
}

function entryFor(source: PluginSource, pkg: PluginPackage): PluginEntry {
  if (source.kind === 'registry') return { name: pkg.name, type: 'user', tag: source.range };
  return { name: pkg.name, type: 'user', url: source.kind === 'url' ? source.url : source.path };
}
