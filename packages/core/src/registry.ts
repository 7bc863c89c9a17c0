/**
 * The registry: every method, metric and dataset provider, first-party or community, arrives as a
 * declaration from a plugin's mc:register hook and is built in core's own tsyringe container with
 * `useFactory` (never `useClass`: the plugin's classes may come from another copy of tsyringe).
 */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { Compressor, DatasetProvider, Metric } from './contracts.js';
import type { CompressorDeclaration, Declaration, PluginManifest } from './declarations.js';
import { didYouMean } from './did-you-mean.js';
import { ErrorCodes, UserError } from './errors.js';
import { validateParamSpecs } from './params.js';
import { Tokens } from './tokens.js';

export interface PluginOrigin {
  readonly name: string;
  readonly version: string;
}

export type EntryKind = Declaration['kind'];

export interface RegistryEntry {
  readonly declaration: Declaration;
  readonly origin: PluginOrigin;
}

const KIND_WORD: Record<EntryKind, string> = { compressor: 'method', metric: 'metric', dataset: 'dataset provider' };
const KIND_FLAG: Record<EntryKind, string> = { compressor: '--method', metric: '--metric', dataset: '--dataset-type' };

export class Registry {
  readonly container: DependencyContainer;
  private readonly entries = new Map<string, RegistryEntry>();
  /** ids claimed by more than one plugin: kept out of resolution, reported by name */
  private readonly conflicts = new Map<string, PluginOrigin[]>();

  constructor(container: DependencyContainer = rootContainer.createChildContainer()) {
    this.container = container;
    this.container.registerInstance(Tokens.Registry, this);
  }

  /**
   * Register everything a plugin's hook returned, or nothing: every declaration is checked before the
   * first is added, so a plugin the loader reports as skipped holds no id (and puts none in conflict).
   * Throws (for the loader to turn into a warning) when the manifest or any declaration is malformed.
   */
  addPlugin(origin: PluginOrigin, manifest: unknown): string[] {
    const m = manifest as Partial<PluginManifest> | undefined;
    if (!m || m.mcPlugin !== 1 || !Array.isArray(m.declarations)) {
      throw new UserError(
        ErrorCodes.PLUGIN_LOAD,
        `plugin ${origin.name}: its mc:register hook did not return definePlugin([...])`,
      );
    }
    const keys = new Set<string>();
    for (const decl of m.declarations) {
      checkDeclaration(origin, decl);
      const key = `${decl.kind}:${decl.id}`;
      if (keys.has(key))
        throw new UserError(
          ErrorCodes.PLUGIN_LOAD,
          `plugin ${origin.name}: declares the ${KIND_WORD[decl.kind as EntryKind]} id "${decl.id}" twice`,
        );
      keys.add(key);
    }
    for (const decl of m.declarations) this.add(origin, decl);
    return [...keys];
  }

  /** Register one declaration. A duplicate id is recorded as a conflict naming both plugins. */
  add(origin: PluginOrigin, decl: Declaration): void {
    checkDeclaration(origin, decl);
    const key = `${decl.kind}:${decl.id}`;
    const existing = this.entries.get(key);
    if (existing) {
      const list = this.conflicts.get(key) ?? [existing.origin];
      list.push(origin);
      this.conflicts.set(key, list);
      return;
    }
    this.entries.set(key, { declaration: decl, origin });
    const token = tokenFor(decl.kind, decl.id);
    const create = decl.create;
    this.container.register(token, { useFactory: () => create() });
  }

  /** All entries of a kind (or all), sorted by id. */
  list(kind?: EntryKind): RegistryEntry[] {
    return [...this.entries.values()]
      .filter((e) => !kind || e.declaration.kind === kind)
      .sort(
        (a, b) =>
          a.declaration.kind.localeCompare(b.declaration.kind) || a.declaration.id.localeCompare(b.declaration.id),
      );
  }

  /** Conflicts as readable lines, for `mc list` and warnings. */
  conflictMessages(): string[] {
    return [...this.conflicts.entries()].map(([key, origins]) => {
      const [kind, id] = splitKey(key);
      return `${KIND_WORD[kind]} id "${id}" is declared by ${origins.map(describeOrigin).join(' and by ')}`;
    });
  }

  entry(kind: EntryKind, id: string): RegistryEntry {
    const key = `${kind}:${id}`;
    const conflict = this.conflicts.get(key);
    if (conflict) {
      throw new UserError(
        ErrorCodes.DUPLICATE_ID,
        `${KIND_WORD[kind]} id "${id}" is declared by ${conflict.map(describeOrigin).join(' and by ')}`,
        {
          hint: `uninstall one of them (mc plugins uninstall ${conflict[conflict.length - 1].name})`,
        },
      );
    }
    const found = this.entries.get(key);
    if (!found) {
      const known = this.list(kind).map((e) => e.declaration.id);
      const guess = didYouMean(id, known);
      throw new UserError(
        ErrorCodes.UNKNOWN_ID,
        `unknown ${KIND_WORD[kind]} "${id}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
        {
          hint: known.length
            ? `${KIND_FLAG[kind]} takes: ${known.join(', ')} (mc list shows all)`
            : `no ${KIND_WORD[kind]}s are installed (mc list)`,
        },
      );
    }
    return found;
  }

  has(kind: EntryKind, id: string): boolean {
    return this.entries.has(`${kind}:${id}`) && !this.conflicts.has(`${kind}:${id}`);
  }

  compressor(id: string): Compressor {
    this.entry('compressor', id);
    return this.container.resolve<Compressor>(Tokens.compressor(id));
  }

  metric(id: string): Metric {
    this.entry('metric', id);
    return this.container.resolve<Metric>(Tokens.metric(id));
  }

  dataset(id: string): DatasetProvider {
    this.entry('dataset', id);
    return this.container.resolve<DatasetProvider>(Tokens.dataset(id));
  }

  datasetProviders(): DatasetProvider[] {
    return this.list('dataset').map((e) => this.dataset(e.declaration.id));
  }
}

function tokenFor(kind: EntryKind, id: string): string {
  return kind === 'compressor' ? Tokens.compressor(id) : kind === 'metric' ? Tokens.metric(id) : Tokens.dataset(id);
}

function splitKey(key: string): [EntryKind, string] {
  const i = key.indexOf(':');
  return [key.slice(0, i) as EntryKind, key.slice(i + 1)];
}

function describeOrigin(o: PluginOrigin): string {
  return `${o.name}@${o.version}`;
}

function checkDeclaration(origin: PluginOrigin, decl: Declaration): void {
  const where = `plugin ${origin.name}`;
  if (!decl || typeof decl !== 'object')
    throw new UserError(ErrorCodes.PLUGIN_LOAD, `${where}: a declaration is not an object`);
  if (!['compressor', 'metric', 'dataset'].includes(decl.kind))
    throw new UserError(
      ErrorCodes.PLUGIN_LOAD,
      `${where}: unknown declaration kind ${JSON.stringify((decl as { kind?: unknown }).kind)}`,
    );
  if (typeof decl.id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(decl.id))
    throw new UserError(
      ErrorCodes.PLUGIN_LOAD,
      `${where}: id ${JSON.stringify(decl.id)} must be lower-case letters, digits, '.', '_' or '-'`,
    );
  if (typeof decl.create !== 'function')
    throw new UserError(ErrorCodes.PLUGIN_LOAD, `${where}: ${decl.id} has no create() factory`);
  if (decl.kind !== 'dataset') {
    try {
      validateParamSpecs(decl.params ?? [], `${decl.kind} ${decl.id}`);
    } catch (e) {
      throw new UserError(ErrorCodes.PLUGIN_LOAD, `${where}: ${(e as Error).message}`);
    }
  }
  if (decl.kind === 'compressor') checkSweepParam(where, decl);
}

/** A declared sweep parameter must be one of the method's own (a function's answer is checked when a sweep asks). */
function checkSweepParam(where: string, decl: CompressorDeclaration): void {
  const declared: unknown = decl.sweepParam;
  if (declared === undefined || typeof declared === 'function') return;
  const names = (decl.params ?? []).map((p) => p.name);
  if (typeof declared !== 'string' || !names.includes(declared))
    throw new UserError(
      ErrorCodes.PLUGIN_LOAD,
      `${where}: compressor ${decl.id} declares sweep parameter ${JSON.stringify(declared)}, which is not one of its parameters`,
      { hint: names.length ? `its parameters: ${names.join(', ')}` : 'it declares no parameters' },
    );
}
