/**
 * A plugin's package.json, read before anything is installed: from its folder, from inside its
 * tarball, or from the registry (`npm view`). What mc decides from it: is it an mc plugin at all (an
 * oclif `mc:register` hook), and can this mc's @mc-kit/core serve it (checkCore).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, UserError } from '@mc-kit/core';
import semver from 'semver';
import * as tar from 'tar';
import { npmReason, type Npm } from '../npm/npm.js';

export interface PluginPackage {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly oclif?: { readonly hooks?: Record<string, string | string[]> };
}

const CORE = '@mc-kit/core';

export function readFolderManifest(dir: string, shown: string): PluginPackage {
  return parseManifest(readFileSync(join(dir, 'package.json'), 'utf8'), `${shown}/package.json`);
}

/** The package.json at the top folder of an npm tarball (npm names that folder `package/`; others differ). */
export async function readTarballManifest(file: string, shown: string): Promise<PluginPackage> {
  let text: string | undefined;
  try {
    await tar.t({
      file,
      filter: (path) => /^[^/]+\/package\.json$/.test(path.replace(/^\.\//, '')),
      onReadEntry: (entry) => {
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => (text ??= Buffer.concat(chunks).toString('utf8')));
      },
    });
  } catch (e) {
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `${shown} is not a readable tarball: ${(e as Error).message.split('\n')[0]}`,
      { hint: 'npm pack makes one from a plugin folder' },
    );
  }
  if (text === undefined)
    throw new UserError(ErrorCodes.BAD_PARAM, `${shown} holds no package.json: not an npm package tarball`, {
      hint: 'npm pack makes one from a plugin folder',
    });
  return parseManifest(text, `package.json in ${shown}`);
}

/** The manifest of the version `npm install name@range` would pick. */
export async function viewRegistryManifest(
  npm: Npm,
  name: string,
  range: string,
  cwd: string,
  registry?: string,
): Promise<PluginPackage> {
  const r = await npm(
    ['view', `${name}@${range}`, 'name', 'version', 'dependencies', 'peerDependencies', 'oclif', '--json'],
    { cwd, registry, timeoutMs: 120_000 },
  );
  const shown =
    registry ??
    ((await npm(['config', 'get', 'registry'], { cwd, timeoutMs: 10_000 }).catch(() => undefined))?.stdout.trim() ||
      "npm's registry");
  if (r.code !== 0) {
    const reason = npmReason(r);
    if (/E404|404 Not Found|is not in this registry/.test(reason)) {
      throw new UserError(ErrorCodes.PLUGIN_INSTALL, `${name} is not on ${shown}`, {
        hint: 'mc plugins search lists the mc plugins there; a folder or tarball path starts with ./',
      });
    }
    throw new UserError(ErrorCodes.REGISTRY, `cannot ask ${shown} about ${name}: ${reason}`, {
      hint: 'check the network, or point npm_config_registry (or MC_NPM_REGISTRY) at a registry you can reach',
    });
  }
  const body = r.stdout.trim();
  if (!body)
    throw new UserError(ErrorCodes.PLUGIN_INSTALL, `no version of ${name} matches ${range} on ${shown}`, {
      hint: `npm view ${name} versions`,
    });
  const parsed = JSON.parse(body) as PluginPackage | PluginPackage[];
  const pick = Array.isArray(parsed) ? parsed[parsed.length - 1] : parsed;
  return { ...pick, name: pick.name ?? name };
}

function parseManifest(text: string, where: string): PluginPackage {
  let pkg: Partial<PluginPackage>;
  try {
    pkg = JSON.parse(text) as Partial<PluginPackage>;
  } catch (e) {
    throw new UserError(ErrorCodes.BAD_PARAM, `${where} is not valid JSON (${(e as Error).message})`, {
      hint: "fix the plugin's package.json",
    });
  }
  if (typeof pkg?.name !== 'string' || typeof pkg.version !== 'string') {
    throw new UserError(ErrorCodes.BAD_PARAM, `${where} has no name and version: not an npm package`, {
      hint: "fix the plugin's package.json",
    });
  }
  return pkg as PluginPackage;
}

/** The hook file(s) the plugin names for mc:register, relative to its root. */
export function registerHooks(pkg: PluginPackage): string[] {
  const hook = pkg.oclif?.hooks?.['mc:register'];
  return hook === undefined ? [] : Array.isArray(hook) ? hook : [hook];
}

/** Refuse a package that is no mc plugin, before npm runs. */
export function checkIsMcPlugin(pkg: PluginPackage): void {
  if (registerHooks(pkg).length === 0) {
    throw new UserError(
      ErrorCodes.PLUGIN_INSTALL,
      `${pkg.name}@${pkg.version} is not an mc plugin: its package.json names no oclif hook mc:register`,
      {
        hint: 'an mc plugin declares "oclif": { "hooks": { "mc:register": "./dist/register.js" } } (mc generate makes one)',
      },
    );
  }
}

/** A folder or tarball must carry its compiled hook: with install scripts off nothing builds it. */
export function checkHookFilesPresent(pkg: PluginPackage, root: string): void {
  const missing = registerHooks(pkg).filter((h) => !existsSync(join(root, h)) && !existsSync(join(root, `${h}.js`)));
  if (missing.length) {
    throw new UserError(
      ErrorCodes.PLUGIN_INSTALL,
      `${pkg.name}@${pkg.version} lacks its mc:register hook ${missing.join(', ')}`,
      {
        hint: 'build the plugin first (npm run build), or keep its dist in the tarball ("files": ["dist"])',
      },
    );
  }
}

/** The @mc-kit/core range the plugin asks for (peer first, as plugins should say it), if any. */
export function coreRange(pkg: PluginPackage): string | undefined {
  return pkg.peerDependencies?.[CORE] ?? pkg.dependencies?.[CORE];
}

/**
 * Can this mc's core serve the plugin? A plugin that states no range, or one npm cannot read as a
 * range, is let through: its hook says which core it was built with, and mc checks that at load.
 */
export function checkCore(pkg: PluginPackage, coreVersion: string): void {
  const range = coreRange(pkg);
  if (range === undefined || semver.validRange(range) === null) return;
  if (semver.satisfies(coreVersion, range, { includePrerelease: true })) return;
  const ours = semver.parse(coreVersion);
  const line = ours ? (ours.major === 0 ? `${ours.major}.${ours.minor}` : `${ours.major}`) : coreVersion;
  throw new UserError(
    ErrorCodes.PLUGIN_INCOMPATIBLE,
    `${pkg.name}@${pkg.version} needs @mc-kit/core ${range}, and this mc's core is ${coreVersion}`,
    {
      hint: `install a version of ${pkg.name} built for core ${line}, or use an mc whose core is ${range}`,
    },
  );
}
