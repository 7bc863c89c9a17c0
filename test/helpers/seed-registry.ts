/**
 * Fill the local registry with the packages a generated plugin needs from npm (typescript, jest,
 * @mc-kit/core's own dependencies, ...), taken from this repository's node_modules as the lock file
 * describes them, so `npm install` against a registry without uplinks works as it would against npm.
 *
 * Each package is packed from its installed folder (without nested node_modules, which are other
 * packages of the lock). onnxruntime-node keeps the binaries of this platform only: the others are
 * 240 MB nobody here runs. Optional packages for other platforms are absent, as npm allows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.js';
import { publishTarball, type LocalRegistry } from './registry.js';
import { packFolder } from './tar.js';

interface LockEntry {
  name?: string;
  version?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bundleDependencies?: string[] | boolean;
}

type Lock = Record<string, LockEntry>;

function lock(): Lock {
  return (JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Lock }).packages;
}

/** Node's resolution over lock paths: the nearest node_modules/NAME from `from` upwards. */
function resolveIn(packages: Lock, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const path = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[path]) return path;
    if (!base) return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

/** Lock paths of every package `roots` need ([from, name] pairs), workspace packages excluded. */
export function closure(roots: readonly [string, string][]): string[] {
  const packages = lock();
  const seen = new Set<string>();
  const stack = roots
    .map(([from, name]) => resolveIn(packages, from, name))
    .filter((p): p is string => p !== undefined);
  const missing: string[] = [];
  while (stack.length > 0) {
    const path = stack.pop()!;
    if (seen.has(path)) continue;
    const entry = packages[path];
    if (entry.link) continue; // a workspace (@mc-kit/core is published from packages/core itself)
    seen.add(path);
    for (const dep of Object.keys({
      ...entry.dependencies,
      ...entry.optionalDependencies,
      ...entry.peerDependencies,
    })) {
      const found = resolveIn(packages, path, dep);
      if (found) stack.push(found);
      else if (entry.dependencies?.[dep]) missing.push(`${dep} (needed by ${path})`);
    }
  }
  // npm would answer 404 for these; say why instead (the lock once lacked ora's stdin-discarder).
  if (missing.length)
    throw new Error(`package-lock.json lacks ${missing.join(', ')}: repair the lock (npm install) before this test`);
  return [...seen].sort();
}

/** The installed files of a package folder that its tarball held. */
function keeper(pkg: {
  name: string;
  bundleDependencies?: unknown;
  bundledDependencies?: unknown;
}): (rel: string, isDir: boolean) => boolean {
  const bundled = Boolean(pkg.bundleDependencies ?? pkg.bundledDependencies);
  return (rel, isDir) => {
    if (!isDir) return true;
    if (rel === 'node_modules' || rel.endsWith('/node_modules')) return bundled;
    const napi = /^bin\/napi-v\d+\/([^/]+)\/([^/]+)$/.exec(rel);
    return !(pkg.name === 'onnxruntime-node' && napi && (napi[1] !== process.platform || napi[2] !== process.arch));
  };
}

/** Pack and publish every package of the closure; returns how many were published. */
export async function seedRegistry(registry: LocalRegistry, roots: readonly [string, string][]): Promise<number> {
  const byName = new Map<
    string,
    { dir: string; manifest: Record<string, unknown> & { name: string; version: string } }[]
  >();
  for (const path of closure(roots)) {
    const dir = join(REPO, path);
    if (!existsSync(join(dir, 'package.json'))) continue; // an optional package for another platform
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const list = byName.get(manifest.name) ?? [];
    if (!list.some((p) => p.manifest.version === manifest.version)) list.push({ dir, manifest });
    byName.set(manifest.name, list);
  }
  const groups = [...byName.values()].map((list) =>
    list.sort((a, b) => a.manifest.version.localeCompare(b.manifest.version, 'en', { numeric: true })),
  );
  let published = 0;
  // Versions of one package go one after the other (the registry rewrites one document per package).
  const worker = async () => {
    for (let group = groups.pop(); group; group = groups.pop()) {
      for (const { dir, manifest } of group) {
        await publishTarball(registry, manifest, packFolder(dir, keeper(manifest)));
        published++;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return published;
}
