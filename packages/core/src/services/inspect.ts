/** inspect: what is in an ONNX file — opsets, inputs/outputs, parameters, initializers by dtype, mc metadata. */
import { statSync } from 'node:fs';
import { isSelfReference } from '../onnx/defer-raw-data.js';
import type { RunContext } from '../contracts.js';
import { resolveModelRef } from '../model-ref.js';
import { DataType } from '../onnx/dtypes.js';
import type { ValueInfoProto } from '../onnx/model.js';
import { OnnxModel } from '../onnx/model.js';
import { MC_META, parseSteps, type StepRecord } from './compress.js';

export interface TensorSignature {
  readonly name: string;
  readonly type: string;
  readonly shape: (number | string)[];
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
  readonly parameterCount: number;
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
  for (const t of p.graph?.initializer ?? []) if ((t.externalData?.length ?? 0) > 0 && !isSelfReference(t)) external = true;
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
    parameterCount: model.parameterCount(),
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
    shape: (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : '?')),
  };
}
