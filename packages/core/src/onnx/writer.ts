/**
 * ModelProto -> bytes, with every tensor's data either inlined as raw_data or moved to one new
 * external data file. The model in memory is never modified: the tensors that change are copied,
 * and the graphs holding them are shallow-copied around them.
 *
 * Every tensor that the source keeps externally is read and re-homed (inlined, or copied into the
 * new data file), so the output never points at the source's data file: the output must stand on
 * its own, and the source may be deleted or overwritten later.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { assertNotInput, writeFileAtomic } from '../atomic-write.js';
import { ErrorCodes, UserError } from '../errors.js';
import { DATA_TYPES, type DataType } from './dtypes.js';
import { alignUp, externalDataFiles, externalEntries, EXTERNAL, isExternal } from './external-data.js';
import { assertHeld, storedByteLength, tensorBytes } from './initializer.js';
import { pb, type onnx } from './proto.js';
import { assertValidOutput, prepareForSave } from './validate/index.js';

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

  const inline = (t: onnx.ITensorProto): onnx.ITensorProto => {
    assertHeld(t);
    return isExternal(t) ? { ...withoutData(t), rawData: tensorBytes(t, baseDir) } : t;
  };

  const place = (t: onnx.ITensorProto): onnx.ITensorProto => {
    // String tensors keep their string_data inline; small tensors stay inline (sized from dims, unread).
    if (!spill || !DATA_TYPES[(t.dataType ?? 0) as DataType] || storedByteLength(t) < spill.minBytes) return inline(t);
    const bytes = tensorBytes(t, baseDir);
    const offset = alignUp(cursor);
    if (offset > cursor) parts.push(new Uint8Array(offset - cursor));
    parts.push(bytes);
    cursor = offset + bytes.length;
    return {
      ...withoutData(t),
      dataLocation: EXTERNAL,
      externalData: externalEntries(spill.location, offset, bytes.length),
    };
  };

  const top = mapGraph(graph, inline, place);
  const encoded = pb.ModelProto.encode({ ...model, graph: top }).finish();
  return { model: encoded, data: parts.length ? parts : undefined, dataBytes: cursor };
}

export interface SaveRequest {
  /** Paths the output must not be: the input model (its external data files are added here). */
  readonly inputs: readonly string[];
  /** Move large initializers to `<file>.data`. */
  readonly spill: boolean;
  readonly minBytes: number;
}

/**
 * Write a model atomically to `path` (and `<path>.data` when spilling), refusing to overwrite the
 * input model or any data file it reads from. The graph is first sorted and validated
 * (validate/index.ts): an invalid model is a BugError and nothing is written. Data first, then the
 * model, so a model file never points at data that is not there; if the model cannot be written,
 * the new data file is removed.
 */
export async function saveModel(
  model: onnx.IModelProto,
  baseDir: string | undefined,
  path: string,
  req: SaveRequest,
): Promise<{ bytes: number; externalDataPath?: string }> {
  const out = resolve(path);
  const inputs = [...req.inputs, ...externalDataFiles(model, baseDir)];
  await assertNotInput(out, inputs);
  for (const t of model.graph?.initializer ?? []) assertHeld(t); // before the validator, which would call it an empty tensor
  // No method can write an unsorted or otherwise invalid graph: sorted here, then checked (a failure is mc's bug).
  prepareForSave(model);
  assertValidOutput(model, `the model for ${basename(out)}`);
  const dataName = `${basename(out)}.data`;
  const dataPath = join(dirname(out), dataName);
  if (req.spill) {
    await assertNotInput(dataPath, inputs).catch(() => {
      throw new UserError(
        ErrorCodes.OUT_IS_INPUT,
        `writing ${path} would overwrite ${dataPath}, which the input model reads its weights from`,
        {
          hint: 'choose another output file name or folder',
        },
      );
    });
  }
  const s = serializeModel(model, baseDir, req.spill ? { location: dataName, minBytes: req.minBytes } : undefined);
  const dataBytes = s.data ? await writeFileAtomic(dataPath, s.data) : 0;
  try {
    const modelBytes = await writeFileAtomic(out, s.model);
    return { bytes: modelBytes + dataBytes, ...(s.data ? { externalDataPath: dataPath } : {}) };
  } catch (e) {
    if (s.data) await fs.rm(dataPath, { force: true });
    throw e;
  }
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
