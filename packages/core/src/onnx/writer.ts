/**
 * ModelProto -> bytes, with every tensor's data either inlined as raw_data or moved to one new
 * external data file. The model in memory is never modified: the tensors that change are copied,
 * and the graphs holding them are shallow-copied around them.
 *
 * Every tensor that the source keeps externally is read and re-homed (inlined, or copied into the
 * new data file), so the output never points at the source's data file: the output must stand on
 * its own, and the source may be deleted or overwritten later.
 */
import { alignUp, externalEntries, EXTERNAL, isExternal } from './external-data.js';
import { tensorBytes } from './initializer.js';
import { pb, type onnx } from './proto.js';

/** Move top-level initializers of at least `minBytes` into the file named `location` (relative to the model). */
export interface SpillPlan {
  readonly location: string;
  readonly minBytes: number;
}

export interface Serialized {
  readonly model: Uint8Array;
  /** The external data file, as parts to write in order (absent when nothing was spilled). */
  readonly data?: readonly Uint8Array[];
  readonly dataBytes: number;
}

export function serializeModel(model: onnx.IModelProto, baseDir: string | undefined, spill?: SpillPlan): Serialized {
  const graph = model.graph;
  if (!graph) return { model: pb.ModelProto.encode(model).finish(), dataBytes: 0 };
  const parts: Uint8Array[] = [];
  let cursor = 0;

  const inline = (t: onnx.ITensorProto): onnx.ITensorProto =>
    isExternal(t) ? { ...withoutData(t), rawData: tensorBytes(t, baseDir) } : t;

  const place = (t: onnx.ITensorProto): onnx.ITensorProto => {
    const bytes = tensorBytes(t, baseDir);
    if (!spill || bytes.length < spill.minBytes) return isExternal(t) ? { ...withoutData(t), rawData: bytes } : t;
    const offset = alignUp(cursor);
    if (offset > cursor) parts.push(new Uint8Array(offset - cursor));
    parts.push(bytes);
    cursor = offset + bytes.length;
    return { ...withoutData(t), dataLocation: EXTERNAL, externalData: externalEntries(spill.location, offset, bytes.length) };
  };

  const top = mapGraph(graph, inline, place);
  const encoded = pb.ModelProto.encode({ ...model, graph: top }).finish();
  return { model: encoded, data: parts.length ? parts : undefined, dataBytes: cursor };
}

/** The tensor's identity and shape, without any of its data fields. */
function withoutData(t: onnx.ITensorProto): onnx.ITensorProto {
  const out: onnx.ITensorProto = { name: t.name, dataType: t.dataType, dims: t.dims };
  if (t.docString) out.docString = t.docString;
  if (t.segment) out.segment = t.segment;
  return out;
}

type TensorMap = (t: onnx.ITensorProto) => onnx.ITensorProto;

/** Shallow copy of a graph with `fn` applied to every tensor in node attributes and subgraphs, and `initFn` to its own initializers. */
function mapGraph(g: onnx.IGraphProto, fn: TensorMap, initFn: TensorMap = fn): onnx.IGraphProto {
  return {
    ...g,
    initializer: (g.initializer ?? []).map(initFn),
    node: (g.node ?? []).map((n) => {
      if (!n.attribute?.some((a) => a.t || a.tensors?.length || a.g || a.graphs?.length)) return n;
      return {
        ...n,
        attribute: n.attribute.map((a) => ({
          ...a,
          ...(a.t ? { t: fn(a.t) } : {}),
          ...(a.tensors?.length ? { tensors: a.tensors.map(fn) } : {}),
          ...(a.g ? { g: mapGraph(a.g, fn) } : {}),
          ...(a.graphs?.length ? { graphs: a.graphs.map((sg) => mapGraph(sg, fn)) } : {}),
        })),
      };
    }),
  };
}
