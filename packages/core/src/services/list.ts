/** list: every installed method, metric and dataset provider, and which plugin gives it. */
import type { CompressorDeclaration } from '../declarations.js';
import { describeParam, parseParams } from '../params.js';
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
  /** methods: the parameter a bare `--sweep v1,v2` walks, with the defaults of the others (absent: none declared) */
  readonly sweepParam?: string;
  /** methods: the sweep parameter depends on the other parameters (prune: --ratio under --algo channel) */
  readonly sweepParamVaries?: boolean;
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
      ...(d.kind === 'compressor' ? sweepOf(d) : {}),
    }),
  );
  return { kind: 'list', items, conflicts: registry.conflictMessages() };
}

function sweepOf(d: CompressorDeclaration): Pick<ListRow, 'sweepParam' | 'sweepParamVaries'> {
  const declared = d.sweepParam;
  if (typeof declared === 'string') return { sweepParam: declared };
  if (typeof declared !== 'function') return {};
  try {
    return { sweepParam: declared(parseParams(d.params, {}, `--method ${d.id}`)), sweepParamVaries: true };
  } catch {
    return { sweepParamVaries: true }; // its defaults alone do not parse (a required parameter): a sweep names it then
  }
}
