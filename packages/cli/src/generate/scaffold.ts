/**
 * `mc generate`: copy a template (templates/<kind> in the repository, shipped inside @mc-kit/cli as
 * dist/templates/<kind>) into a new folder, renaming the package, ids and classes, and pointing its
 * @mc-kit/core dependency at the core that is running. The folder appears whole or not at all: the
 * copy is made in a temporary sibling and renamed; an existing folder is never written into.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BugError, ErrorCodes, UserError, type Registry } from '@mc-kit/core';
import type { CoreDependency } from './core-dependency.js';
import { shellWord as quote } from './mc-command.js';
import { pluginNames } from './names.js';

export const TEMPLATE_KINDS = ['compressor', 'metric', 'dataset'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

const KIND_WORD: Record<TemplateKind, string> = { compressor: 'method', metric: 'metric', dataset: 'dataset provider' };
/** The template's class is `${className}${suffix}`: RoundWeightsCompressor. */
const CLASS_SUFFIX: Record<TemplateKind, string> = { compressor: 'Compressor', metric: 'Metric', dataset: 'Dataset' };
const SKIPPED = new Set(['node_modules', 'dist', 'coverage']);
const TEXT = /\.(ts|js|cjs|mjs|json|md|txt|ya?ml)$|^(gitignore|npmrc)$/;
/** Why a folder cannot be made, for the codes a user can cause. */
const WHY: Record<string, string> = {
  EEXIST: 'a file is in the way',
  ENOTDIR: 'a file is in the way',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
};
/** npm drops .gitignore and .npmrc files from published tarballs, so templates carry them undotted. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore', npmrc: '.npmrc' };

/** Where the templates are: beside this module once built (dist/generate -> dist/templates). */
export function defaultTemplatesDir(): string {
  return fileURLToPath(new URL('../templates', import.meta.url));
}

export interface GenerateRequest {
  readonly kind: TemplateKind;
  readonly name: string;
  /** folder to create; default ./mc-plugin-NAME */
  readonly dir?: string;
  /** version of the running @mc-kit/core: the new package builds against it */
  readonly coreVersion: string;
  /** npm spec for the @mc-kit/core dev dependency instead of that version (e.g. file:/path/to/mc/packages/core) */
  readonly coreSpec?: string;
  /**
   * Chooses the @mc-kit/core dependency when coreSpec is not given (core-dependency.ts: the registry's,
   * or this mc's own); called once the request is known to be valid. Without it: coreVersion.
   */
  readonly resolveCore?: (packageName: string) => Promise<CoreDependency>;
  /** how the printed commands call mc: `mc`, or the absolute path of the running one */
  readonly bin: string;
  readonly templatesDir?: string;
  readonly cwd?: string;
}

export interface GenerateReport {
  readonly kind: 'generate';
  readonly template: TemplateKind;
  readonly id: string;
  readonly package: string;
  readonly className: string;
  readonly coreVersion: string;
  /** what the new package's devDependencies say for @mc-kit/core */
  readonly coreSpec: string;
  readonly coreSource: 'registry' | 'local' | 'flag';
  readonly notes: string[];
  /** absolute path of the new folder */
  readonly dir: string;
  /** files written, relative to dir */
  readonly files: string[];
  /** the next three commands to run */
  readonly next: string[];
}

interface TemplateMeta {
  readonly kind: TemplateKind;
  readonly id: string;
  readonly className: string;
}

export async function generatePlugin(request: GenerateRequest, registry: Registry): Promise<GenerateReport> {
  const names = pluginNames(request.name);
  const taken = registry.list(request.kind).find((e) => e.declaration.id === names.id);
  if (taken) {
    throw new UserError(
      ErrorCodes.DUPLICATE_ID,
      `${KIND_WORD[request.kind]} id "${names.id}" is already provided by ${taken.origin.name}@${taken.origin.version}`,
      {
        hint: 'choose another name; mc list shows the ids in use',
      },
    );
  }
  const cwd = request.cwd ?? process.cwd();
  const target = resolve(cwd, request.dir ?? names.packageName);
  if (existsSync(target)) {
    throw new UserError(
      ErrorCodes.TARGET_EXISTS,
      `${request.dir ?? names.packageName} already exists; mc generate never writes into an existing folder`,
      {
        hint: 'choose another --dir, or move that folder away',
      },
    );
  }
  const core: CoreDependency = request.coreSpec
    ? { spec: request.coreSpec, source: 'flag' }
    : request.resolveCore
      ? await request.resolveCore(names.packageName)
      : { spec: request.coreVersion, source: 'registry' };
  const coreSpec = core.spec;
  const source = join(request.templatesDir ?? defaultTemplatesDir(), request.kind);
  const meta = readTemplateMeta(source, request.kind);
  const tokens: [string, string][] = [
    [`@mc-kit/template-${request.kind}`, names.packageName],
    [meta.className, names.pascal],
    [meta.id.toUpperCase().replace(/-/g, '_'), names.constant],
    [meta.className[0].toLowerCase() + meta.className.slice(1), names.camel],
    [meta.id, names.id],
  ];
  const rename = (text: string) => tokens.reduce((t, [from, to]) => t.split(from).join(to), text);

  const staging = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    await fs.mkdir(dirname(target), { recursive: true });
    await fs.mkdir(staging);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new UserError(
      ErrorCodes.UNWRITABLE,
      `cannot create ${request.dir ?? names.packageName}: ${WHY[code] ?? (code || (e as Error).message)}`,
      {
        hint: 'choose a --dir in a folder you can write to',
      },
    );
  }
  const files: string[] = [];
  try {
    await copyTree(source, staging, '', files, (path, text) =>
      path === 'package.json'
        ? packageJson(text, names.packageName, request.coreVersion, coreSpec, rename)
        : rename(text),
    );
    await fs.rename(staging, target);
  } catch (e) {
    await fs.rm(staging, { recursive: true, force: true });
    throw e;
  }
  const shown = quote(relative(cwd, target) || '.');
  return {
    kind: 'generate',
    template: request.kind,
    id: names.id,
    package: names.packageName,
    className: `${names.pascal}${CLASS_SUFFIX[request.kind]}`,
    coreVersion: request.coreVersion,
    coreSpec,
    coreSource: core.source,
    notes: core.note ? [core.note] : [],
    dir: target,
    files: files.sort(),
    next: [`cd ${shown} && npm install`, 'npm run build && npm test', `${request.bin} plugins link ${quote(target)}`],
  };
}

function readTemplateMeta(dir: string, kind: TemplateKind): TemplateMeta {
  const path = join(dir, 'package.json');
  if (!existsSync(path))
    throw new BugError(`the ${kind} template is missing (${path}); run npm run build in the mc repository`);
  const meta = (JSON.parse(readFileSync(path, 'utf8')) as { mcTemplate?: TemplateMeta }).mcTemplate;
  if (!meta || meta.kind !== kind) throw new BugError(`${path} has no "mcTemplate" entry for ${kind}`);
  return meta;
}

/** The template's package.json as the new package's: its name, public, core at the running version. */
function packageJson(
  text: string,
  name: string,
  coreVersion: string,
  coreSpec: string,
  rename: (t: string) => string,
): string {
  const pkg = JSON.parse(rename(text)) as Record<string, unknown> & {
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  delete pkg.private;
  delete pkg.mcTemplate;
  pkg.name = name;
  pkg.version = '0.1.0';
  pkg.peerDependencies = { ...pkg.peerDependencies, '@mc-kit/core': `^${coreVersion}` };
  pkg.devDependencies = { ...pkg.devDependencies, '@mc-kit/core': coreSpec };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

async function copyTree(
  from: string,
  to: string,
  rel: string,
  files: string[],
  transform: (path: string, text: string) => string,
): Promise<void> {
  for (const entry of await fs.readdir(join(from, rel), { withFileTypes: true })) {
    if (SKIPPED.has(entry.name) || entry.name.endsWith('.tsbuildinfo')) continue;
    const src = join(from, rel, entry.name);
    if (entry.isDirectory()) {
      const sub = rel ? `${rel}/${entry.name}` : entry.name;
      await fs.mkdir(join(to, sub));
      await copyTree(from, to, sub, files, transform);
    } else if (entry.isFile()) {
      const leaf = RENAMED[entry.name] ?? entry.name;
      const out = rel ? `${rel}/${leaf}` : leaf;
      if (TEXT.test(entry.name)) await fs.writeFile(join(to, out), transform(out, await fs.readFile(src, 'utf8')));
      else await fs.copyFile(src, join(to, out));
      files.push(out);
    }
  }
}
