/**
 * What a plugin exports: plain declarations (id, kind, params, a factory). Core builds them in its
 * own container (registry.ts), so a plugin with its own copies of tsyringe and core still works.
 *
 * A plugin's `mc:register` hook is `definePlugin([...])`: it returns the declarations together
 * with the core version the plugin was built against.
 */
import type { Compressor, DatasetKind, DatasetProvider, Metric } from './contracts.js';
import type { ParamSpec } from './params.js';
import { CORE_VERSION } from './version.js';

export interface CompressorDeclaration {
  readonly kind: 'compressor';
  readonly id: string;
  readonly summary: string;
  readonly params: readonly ParamSpec[];
  /** what a bare `--sweep v1,v2` walks (Compressor.sweepParam), checked when the plugin loads */
  readonly sweepParam?: Compressor['sweepParam'];
  readonly create: () => Compressor;
}

export interface MetricDeclaration {
  readonly kind: 'metric';
  readonly id: string;
  readonly summary: string;
  readonly params: readonly ParamSpec[];
  readonly datasetKinds: readonly DatasetKind[];
  readonly create: () => Metric;
}

export interface DatasetDeclaration {
  readonly kind: 'dataset';
  readonly id: string;
  readonly summary: string;
  readonly datasetKind: DatasetKind;
  readonly create: () => DatasetProvider;
}

export type Declaration = CompressorDeclaration | MetricDeclaration | DatasetDeclaration;

/** What a plugin's mc:register hook returns. */
export interface PluginManifest {
  readonly mcPlugin: 1;
  /** @mc-kit/core version the plugin was built against */
  readonly coreVersion: string;
  readonly declarations: readonly Declaration[];
}

/** Options oclif passes to the mc:register hook (besides oclif's own config/context). */
export interface RegisterHookOptions {
  /** core's tsyringe container, for plugins that register extra services by string token */
  readonly container?: unknown;
  readonly coreVersion?: string;
}

export type RegisterHook = (options: RegisterHookOptions) => Promise<PluginManifest>;

/** Build a plugin's mc:register hook: `export default definePlugin([int8Declaration])`. */
export function definePlugin(declarations: readonly Declaration[]): RegisterHook {
  const manifest: PluginManifest = Object.freeze({
    mcPlugin: 1,
    coreVersion: CORE_VERSION,
    declarations: Object.freeze([...declarations]),
  });
  return async () => manifest;
}

/** Declare a compressor from a factory; id/summary/params are read once from a probe instance. */
export function compressor(create: () => Compressor): CompressorDeclaration {
  const probe = create();
  return {
    kind: 'compressor',
    id: probe.id,
    summary: probe.summary,
    params: probe.params,
    ...(probe.sweepParam !== undefined ? { sweepParam: probe.sweepParam } : {}),
    create,
  };
}

export function metric(create: () => Metric): MetricDeclaration {
  const probe = create();
  return {
    kind: 'metric',
    id: probe.id,
    summary: probe.summary,
    params: probe.params,
    datasetKinds: probe.datasetKinds,
    create,
  };
}

export function datasetProvider(create: () => DatasetProvider): DatasetDeclaration {
  const probe = create();
  return { kind: 'dataset', id: probe.id, summary: probe.summary, datasetKind: probe.kind, create };
}
