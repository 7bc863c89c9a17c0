/**
 * mc's plugin folder (oclif's data dir, MC_DATA_DIR): a private npm project whose package.json lists
 * the installed packages (`dependencies`, npm's) and which of them oclif loads (`oclif.plugins`, the
 * format @oclif/plugin-plugins writes and @oclif/core reads). mc adds two things to it:
 *  - `dependencies["@mc-kit/core"] = "file:<this mc's core>"`, and an override that points every
 *    @mc-kit/core in the tree at it: a plugin's core peer is satisfied by the running mc's core, never
 *    fetched (npm links a folder outside the project and installs nothing into it);
 *  - `local/`: copies of the tarballs installed from disk (and of folders, packed), so the install
 *    does not depend on the file the user gave staying where it was.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CORE_PACKAGE = '@mc-kit/core';

export interface PluginEntry {
  readonly name: string;
  readonly type: 'user' | 'link' | string;
  /** registry installs: the version or range asked for ('latest' by default) */
  readonly tag?: string;
  /** installs from a folder, tarball or URL: where it came from (absolute path or URL) */
  readonly url?: string;
  /** linked plugins: their folder */
  readonly root?: string;
}

export interface DataPackage {
  name?: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  overrides?: Record<string, unknown>;
  oclif: { schema?: number; plugins: (PluginEntry | string)[] } & Record<string, unknown>;
  [key: string]: unknown;
}

export interface DataSnapshot {
  readonly files: Map<string, string | undefined>;
}

export class PluginDataDir {
  constructor(
    readonly dir: string,
    private readonly cliName: string,
  ) {}

  get packageJson(): string {
    return join(this.dir, 'package.json');
  }

  get localDir(): string {
    return join(this.dir, 'local');
  }

  read(): DataPackage {
    const pkg = existsSync(this.packageJson)
      ? (JSON.parse(readFileSync(this.packageJson, 'utf8')) as Partial<DataPackage>)
      : {};
    const plugins = (pkg.oclif?.plugins ?? []).map((p) =>
      typeof p === 'string' ? { name: p, type: 'user', tag: 'latest' } : p,
    );
    return { name: this.cliName, private: true, ...pkg, oclif: { schema: 1, ...pkg.oclif, plugins } };
  }

  write(pkg: DataPackage): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.packageJson, `${JSON.stringify(pkg, null, 2)}\n`);
  }

  /** The data package with @mc-kit/core pointing at `coreRoot` (rewritten on every install, so a moved mc repairs it). */
  withCore(pkg: DataPackage, coreRoot: string): DataPackage {
    return {
      ...pkg,
      dependencies: { ...pkg.dependencies, [CORE_PACKAGE]: `file:${coreRoot}` },
      overrides: { ...pkg.overrides, [CORE_PACKAGE]: `$${CORE_PACKAGE}` },
    };
  }

  entries(): PluginEntry[] {
    return this.read().oclif.plugins as PluginEntry[];
  }

  addEntry(entry: PluginEntry): void {
    const pkg = this.read();
    const plugins = (pkg.oclif.plugins as PluginEntry[]).filter((p) => p.name !== entry.name);
    this.write({ ...pkg, oclif: { ...pkg.oclif, plugins: [...plugins, entry] } });
  }

  removeEntry(name: string): void {
    const pkg = this.read();
    const dependencies = { ...pkg.dependencies };
    delete dependencies[name];
    this.write({
      ...pkg,
      dependencies,
      oclif: { ...pkg.oclif, plugins: (pkg.oclif.plugins as PluginEntry[]).filter((p) => p.name !== name) },
    });
  }

  /** package.json and package-lock.json as they are, to put back if an install fails. */
  snapshot(): DataSnapshot {
    const files = new Map<string, string | undefined>();
    for (const name of ['package.json', 'package-lock.json']) {
      const path = join(this.dir, name);
      files.set(path, existsSync(path) ? readFileSync(path, 'utf8') : undefined);
    }
    return { files };
  }

  restore(snapshot: DataSnapshot): void {
    for (const [path, text] of snapshot.files) {
      if (text === undefined) rmSync(path, { force: true });
      else writeFileSync(path, text);
    }
  }
}

/** The file name a local tarball gets in local/: `@acme/mc-plugin-x` 1.0.0 -> acme-mc-plugin-x-1.0.0.tgz (as npm pack names it). */
export function localTarballName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace(/\//g, '-')}-${version}.tgz`;
}
