/** list: every installed method, metric and dataset provider, and which plugin gives it. */
import { describeParam } from '../params.js';
import type { Registry } from '../registry.js';

export interface ListRow {
  readonly kind: 'method' | 'metric' | 'dataset';
  readonly id: string;
  readonly summary: string;
  readonly plugin: string;
  readonly version: string;
  /** metrics: dataset kinds scored; datasets: their kind */
  readonly datasetKinds: string[];
  readonly params: { name: string; type: string; default?: unknown; description: string; detail: string }[];
}

export interface ListReport {
  readonly kind: 'list';
  readonly items: ListRow[];
  readonly conflicts: string[];
}

const KIND_NAME = { compressor: 'method', metric: 'metric', dataset: 'dataset' } as const;

export function listRegistry(registry: Registry): ListReport {
  const items = registry.list().map(
    ({ declaration: d, origin }): ListRow => ({
      kind: KIND_NAME[d.kind],
      id: d.id,
      summary: d.summary,
      plugin: origin.name,
      version: origin.version,
      datasetKinds: d.kind === 'metric' ? [...d.datasetKinds] : d.kind === 'dataset' ? [d.datasetKind] : [],
      params:
        d.kind === 'dataset'
          ? []
          : d.params.map((p) => ({
              name: p.name,
              type: p.type,
              default: p.default,
              description: p.description,
              detail: describeParam(p),
            })),
    }),
  );
  return { kind: 'list', items, conflicts: registry.conflictMessages() };
}
