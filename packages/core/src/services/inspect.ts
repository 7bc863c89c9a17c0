/**
 * inspect: what is in an ONNX file — opsets, inputs/outputs, parameters (every float tensor, wherever
 * the exporter put it: weight-sources.ts) and where they live, initializers by dtype, mc metadata.
 */
import { statSync } from 'node:fs';
import { isSelfReference } from '../onnx/defer-raw-data.js';
import type { RunContext } from '../contracts.js';
import { resolveModelRef } from '../model-ref.js';
import { DataType, dataTypeName } from '../onnx/dtypes.js';
import type { ValueInfoProto } from '../onnx/model.js';
import { OnnxModel } from '../onnx/model.js';
import { findWeights, type FoundWeight, type WeightHome } from '../onnx/weight-sources.js';
import { MC_META, parseSteps, type StepRecord } from './compress.js';

export interface TensorSignature {
  readonly name: string;
  readonly type: string;
  readonly shape: (number | string)[];
}

/** Float tensors of one home (and one body, for subgraphs). */
export interface WeightPlace {
  readonly home: WeightHome;
  /** the bodies holding them, outermost first (`If_25/then_branch > LSTM...`); subgraph homes only */
  readonly scope?: string;
  readonly tensors: number;
  readonly elements: number;
  readonly bytes: number;
}

export interface WeightEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly home: WeightHome;
  readonly scope?: string;
  /** the Constant node holding it */
  readonly node?: string;
}

export interface InspectReport {
  readonly kind: 'inspect';
  readonly path: string;
  readonly bytes: number;
  readonly irVersion: number;
  readonly producer: string;
  readonly opsets: Record<string, number>;
  readonly inputs: TensorSignature[];
  readonly outputs: TensorSignature[];
  readonly nodes: number;
  readonly ops: Record<string, number>;
  /** elements of every float tensor: initializers, Constant nodes and tensors inside If/Loop/Scan bodies */
  readonly parameterCount: number;
  /** where the float tensors live, and each of them */
  readonly weights: { readonly places: WeightPlace[]; readonly tensors: WeightEntry[] };
  readonly initializers: { dtype: string; count: number; elements: number; bytes: number }[];
  readonly externalData: boolean;
  readonly metadata: Record<string, string>;
  readonly mc?: { method: string; steps: StepRecord[]; bitsPerWeight?: number; sourceSha256?: string };
}

export async function inspectModel(ref: string, ctx?: RunContext): Promise<InspectReport> {
  const { path } = await resolveModelRef(ref, ctx);
  const model = await OnnxModel.load(path);
  const p = model.proto;
  const ops: Record<string, number> = {};
  for (const n of model.nodes) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : String(n.opType);
    ops[key] = (ops[key] ?? 0) + 1;
  }
  const byType = new Map<string, { dtype: string; count: number; elements: number; bytes: number }>();
  let external = false;
  for (const name of model.initializerNames()) {
    const t = model.getInitializer(name)!;
    const dtype = DataType[t.dataType]?.toLowerCase() ?? `type${t.dataType}`;
    const row = byType.get(dtype) ?? { dtype, count: 0, elements: 0, bytes: 0 };
    row.count += 1;
    row.elements += t.elementCount;
    row.bytes += t.byteLength;
    byType.set(dtype, row);
  }
  for (const t of p.graph?.initializer ?? [])
    if ((t.externalData?.length ?? 0) > 0 && !isSelfReference(t)) external = true;
  const found = findWeights(model);
  const metadata = model.metadata();
  const steps = parseSteps(metadata[MC_META.steps]);
  return {
    kind: 'inspect',
    path,
    bytes: statSync(path).size,
    irVersion: Number(p.irVersion ?? 0),
    producer: [p.producerName, p.producerVersion].filter(Boolean).join(' '),
    opsets: Object.fromEntries((p.opsetImport ?? []).map((o) => [o.domain || 'ai.onnx', Number(o.version)])),
    inputs: model.inputs.filter((i) => !model.getInitializer(String(i.name))).map(signature),
    outputs: model.outputs.map(signature),
    nodes: model.nodes.length,
    ops,
    parameterCount: found.reduce((n, w) => n + w.elementCount, 0),
    weights: { places: placesOf(found), tensors: found.map(entryOf) },
    initializers: [...byType.values()].sort((a, b) => b.bytes - a.bytes),
    externalData: external,
    metadata,
    mc: steps.length
      ? {
          method: metadata[MC_META.method] ?? steps.map((s) => s.method).join('+'),
          steps,
          bitsPerWeight: metadata[MC_META.bitsPerWeight] ? Number(metadata[MC_META.bitsPerWeight]) : undefined,
          sourceSha256: metadata[MC_META.sourceSha256],
        }
      : undefined,
  };
}

function signature(v: ValueInfoProto): TensorSignature {
  const tt = v.type?.tensorType;
  const elem = tt?.elemType ?? 0;
  return {
    name: String(v.name),
    type: DataType[elem]?.toLowerCase() ?? `type${elem}`,
    shape: (tt?.shape?.dim ?? []).map((d) =>
      d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : '?',
    ),
  };
}

const scopeOf = (w: FoundWeight) => (w.scope.length ? w.scope.join(' > ') : undefined);

function entryOf(w: FoundWeight): WeightEntry {
  const scope = scopeOf(w);
  return {
    name: w.name,
    dtype: dataTypeName(w.dataType),
    shape: w.dims,
    home: w.home,
    ...(scope ? { scope } : {}),
    ...(w.node ? { node: w.node } : {}),
  };
}

/** One row per home and body, in the order they first appear (main graph first). */
function placesOf(found: readonly FoundWeight[]): WeightPlace[] {
  const rows = new Map<
    string,
    { home: WeightHome; scope?: string; tensors: number; elements: number; bytes: number }
  >();
  for (const w of found) {
    const scope = scopeOf(w);
    const key = `${w.home}|${scope ?? ''}`;
    const row = rows.get(key) ?? { home: w.home, ...(scope ? { scope } : {}), tensors: 0, elements: 0, bytes: 0 };
    row.tensors += 1;
    row.elements += w.elementCount;
    row.bytes += w.byteLength;
    rows.set(key, row);
  }
  return [...rows.values()];
}
