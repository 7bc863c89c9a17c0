/**
 * OnnxModel: one ONNX ModelProto (via onnx-proto's protobuf binding) plus where it came from.
 * Everything a compressor does to a graph goes through this API (STYLE.md §1: rewrite.ts edits the
 * graph only through @mc-kit/core's model API).
 *
 * The pieces live beside it: decode.ts (bytes -> validated proto), initializer.ts (lazy tensor
 * views), tensor-codec.ts (bytes <-> values), external-data.ts, writer.ts (proto -> bytes + data
 * file), graph-names.ts (unique names, who reads what), model-types.ts (the interfaces).
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { BugError, ErrorCodes, UserError } from '../errors.js';
import { decodeModel, readModelFile } from './decode.js';
import { DEFER_MIN_BYTES, deferRawData, markSelfReferences } from './defer-raw-data.js';
import { readSkeleton } from './read-skeleton.js';
import { collectGarbage, collectGarbageNow } from './release-memory.js';
import type { DataType } from './dtypes.js';
import { findConsumers, NameCache, readsAny } from './graph-names.js';
import { makeTensor, releaseTensorData, TensorInitializer } from './initializer.js';
import { normalizeInt64, pb, toNumber, type onnx } from './proto.js';
import type { Consumer, Initializer, NodeProto, SaveOptions, TensorProto, ValueInfoProto } from './model-types.js';
import { assertValidInput } from './validate/index.js';
import { findWeights } from './weight-sources.js';
import { saveModel, serializeModel } from './writer.js';

export type { Consumer, Initializer, NodeProto, SaveOptions, TensorProto, ValueInfoProto } from './model-types.js';

/** A protobuf message cannot pass 2 GiB; keep 64 MiB for the graph itself. */
export const DEFAULT_EXTERNAL_DATA_THRESHOLD = 2 ** 31 - 64 * 2 ** 20;
/** Initializers smaller than this stay inline even when spilling (as onnx's save does). */
export const EXTERNAL_DATA_MIN_BYTES = 1024;
const PROTO_LIMIT = 2 ** 31 - 1;
/** Files at least this large are dropped from memory right after loading (release-memory.ts). */
const RELEASE_AFTER_LOAD_BYTES = 32 * 2 ** 20;
/** Initializers at least this large are stored after a garbage collection (setInitializer). */
const COLLECT_BEFORE_SET_BYTES = 4 * 2 ** 20;

export class OnnxModel {
  /** Folder external data is resolved against (the model file's folder). */
  readonly baseDir?: string;
  private initIndex?: { list: TensorProto[]; length: number; map: Map<string, number> };
  private readonly names = new NameCache();

  private constructor(
    /** The protobuf message (escape hatch; prefer the methods below). */
    readonly proto: onnx.ModelProto,
    /** Path the model was loaded from (undefined for models built in memory). */
    readonly sourcePath?: string,
    baseDir?: string,
  ) {
    this.baseDir = baseDir ?? (sourcePath === undefined ? undefined : dirname(sourcePath));
  }

  /**
   * Read a .onnx file. Throws UserError E_FILE_NOT_FOUND / E_NOT_ONNX / E_TRUNCATED_ONNX, and
   * E_INVALID_MODEL for a graph that breaks ONNX's rules (validate/: duplicate definitions, missing
   * values, bad attributes or dims). External data is resolved relative to the file.
   */
  static async load(path: string): Promise<OnnxModel> {
    // a large file is read without its large weights (read-skeleton.ts): they stay on disk until read
    const size = await fs.stat(path).then(
      (s) => (s.isFile() ? s.size : 0),
      () => 0,
    );
    const skeleton =
      size >= DEFER_MIN_BYTES ? await readSkeleton(path, DEFER_MIN_BYTES).catch(() => undefined) : undefined;
    if (skeleton) {
      const proto = decodeModel(skeleton.bytes, path);
      markSelfReferences(proto, skeleton.skipped, basename(path));
      assertValidInput(proto, path);
      return new OnnxModel(proto, resolve(path));
    }
    const bytes = await readModelFile(path);
    const proto = decodeModel(bytes, path);
    assertValidInput(proto, path);
    // large weights stay on disk until a compressor reads them; the file buffer is then released
    deferRawData(proto, bytes, basename(path));
    if (bytes.length >= RELEASE_AFTER_LOAD_BYTES) await collectGarbage();
    return new OnnxModel(proto, resolve(path));
  }

  /** Decode bytes; baseDir resolves external data. */
  static fromBytes(bytes: Uint8Array, baseDir?: string): OnnxModel {
    return new OnnxModel(
      decodeModel(bytes, 'model bytes'),
      undefined,
      baseDir === undefined ? undefined : resolve(baseDir),
    );
  }

  /** Wrap a proto built in memory (kept as is when it already is a ModelProto). */
  static fromProto(proto: onnx.IModelProto): OnnxModel {
    const model = proto instanceof pb.ModelProto ? proto : pb.ModelProto.create(proto);
    model.graph ??= pb.GraphProto.create();
    normalizeInt64(model);
    return new OnnxModel(model);
  }

  private get graph(): onnx.IGraphProto {
    return (this.proto.graph ??= pb.GraphProto.create());
  }

  get nodes(): NodeProto[] {
    return (this.graph.node ??= []);
  }
  get inputs(): ValueInfoProto[] {
    return (this.graph.input ??= []);
  }
  get outputs(): ValueInfoProto[] {
    return (this.graph.output ??= []);
  }

  /** Default-domain opset version ('' or 'ai.onnx'), or undefined. */
  opset(domain = ''): number | undefined {
    const entry = this.opsetEntry(domain);
    return entry ? toNumber(entry.version) : undefined;
  }

  /** Set (or add) an opset import. */
  setOpset(domain: string, version: number): void {
    const entry = this.opsetEntry(domain);
    if (entry) entry.version = version;
    else (this.proto.opsetImport ??= []).push(pb.OperatorSetIdProto.create({ domain, version }));
  }

  private opsetEntry(domain: string): onnx.IOperatorSetIdProto | undefined {
    const want = normDomain(domain);
    return (this.proto.opsetImport ?? []).find((o) => normDomain(o.domain ?? '') === want);
  }

  initializerNames(): string[] {
    return (this.graph.initializer ?? []).map((t) => t.name ?? '');
  }

  getInitializer(name: string): Initializer | undefined {
    const t = this.findInitializer(name);
    return t && new TensorInitializer(t, this.baseDir);
  }

  /** Add or replace an initializer. data holds raw little-endian bytes, or a typed array matching dataType (int4/uint4: one value per element in Int8Array/Uint8Array, packed on write; float16/bfloat16 also take a Float32Array, rounded to nearest even). */
  setInitializer(name: string, dataType: DataType, dims: readonly number[], data: Uint8Array | ArrayBufferView): void {
    // makeTensor copies `data`; first let V8 drop the float weight this one usually replaces
    if (data.byteLength >= COLLECT_BEFORE_SET_BYTES) collectGarbageNow();
    const tensor = makeTensor(name, dataType, dims, data);
    const list = (this.graph.initializer ??= []);
    const old = this.findInitializer(name);
    this.names.edit(
      this.graph,
      () => {
        if (old) {
          list[list.indexOf(old)] = tensor;
          // A stale value_info shape/type for the name would make onnxruntime reject the new tensor.
          const changed = old.dataType !== tensor.dataType || old.dims?.map((d) => toNumber(d)).join() !== dims.join();
          if (changed && this.graph.valueInfo)
            this.graph.valueInfo = this.graph.valueInfo.filter((v) => v.name !== name);
          return;
        }
        list.push(tensor);
        // Keep the index current (a compressor adds thousands of tensors; rebuilding each time is O(n^2)).
        const index = this.initIndex;
        if (index?.list === list && index.length === list.length - 1) {
          index.map.set(name, list.length - 1);
          index.length = list.length;
        }
      },
      [name],
    );
  }

  /** Remove an initializer (and its graph input entry, which IR < 4 models list for every initializer). */
  removeInitializer(name: string): void {
    const list = this.graph.initializer ?? [];
    const i = list.findIndex((t) => t.name === name);
    if (i >= 0) list.splice(i, 1);
    const inputs = this.graph.input ?? [];
    const j = inputs.findIndex((v) => v.name === name);
    if (i >= 0 && j >= 0) inputs.splice(j, 1);
    this.initIndex = undefined;
  }

  private findInitializer(name: string): TensorProto | undefined {
    const list = this.graph.initializer ?? [];
    let index = this.initIndex;
    // Rebuilt when the list changed under us (direct edits of proto.graph.initializer included).
    if (!index || index.list !== list || index.length !== list.length) {
      index = { list, length: list.length, map: new Map(list.map((t, i) => [t.name ?? '', i])) };
      this.initIndex = index;
    }
    const i = index.map.get(name);
    if (i === undefined) return undefined;
    if (list[i]?.name === name) return list[i];
    this.initIndex = undefined; // renamed in place: rebuild once
    return list.find((t) => t.name === name);
  }

  /**
   * Nodes that read `tensorName` (graph outputs are NOT returned). Nodes inside subgraphs (If/Loop
   * bodies) that read it from the outer scope are included. Found by scanning, not from a cached
   * index, because callers rewire `node.input[i]` in place.
   */
  consumers(tensorName: string): Consumer[] {
    return findConsumers(this.nodes, tensorName);
  }

  /** Node producing `tensorName`, if any. */
  producer(tensorName: string): NodeProto | undefined {
    return this.nodes.find((n) => (n.output ?? []).includes(tensorName));
  }

  /** Insert a node; placed before the first consumer of any of its outputs to keep topological order. */
  addNode(node: NodeProto): void {
    const nodes = this.nodes;
    const outs = new Set((node.output ?? []).filter((o) => o !== ''));
    const at = outs.size ? nodes.findIndex((n) => readsAny(n, outs)) : -1;
    this.names.edit(this.graph, () => (at < 0 ? nodes.push(node) : nodes.splice(at, 0, node)), [
      ...(node.output ?? []),
      ...(node.input ?? []),
      node.name ?? '',
    ]);
  }

  removeNode(node: NodeProto): void {
    const i = this.nodes.indexOf(node);
    if (i < 0) throw new BugError(`removeNode: node ${node.name || node.opType} is not in the graph`);
    this.nodes.splice(i, 1);
  }

  /** A tensor name not used yet in the graph, derived from `base`. */
  uniqueName(base: string): string {
    return this.names.unique(this.graph, base);
  }

  getMetadata(key: string): string | undefined {
    return (this.proto.metadataProps ?? []).find((p) => p.key === key)?.value ?? undefined;
  }

  setMetadata(key: string, value: string): void {
    const props = (this.proto.metadataProps ??= []);
    const entry = props.find((p) => p.key === key);
    if (entry) entry.value = value;
    else props.push(pb.StringStringEntryProto.create({ key, value }));
  }

  metadata(): Record<string, string> {
    return Object.fromEntries((this.proto.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  }

  /**
   * Elements of every float tensor (float32/16/bf16/64) wherever the exporter put it: initializers,
   * Constant nodes, If/Loop/Scan bodies (weight-sources.ts); what `mc inspect` counts, and the
   * denominator of file bits per parameter.
   */
  parameterCount(): number {
    return findWeights(this).reduce((n, w) => n + w.elementCount, 0);
  }

  /** Total bytes of initializer data (what decides whether save() spills to external data). */
  initializerBytes(): number {
    return this.tensorViews().reduce((n, t) => n + t.byteLength, 0);
  }

  private tensorViews(): TensorInitializer[] {
    return (this.graph.initializer ?? []).map((t) => new TensorInitializer(t, this.baseDir));
  }

  /**
   * Drop the bytes of every initializer held in memory (raw_data of at least `minBytes`), for a model
   * that has been saved and is only described from now on: compress releases them before the saved
   * output is opened in onnxruntime, which would otherwise hold the same weights a second time.
   * Reading or saving a released weight afterwards is a BugError.
   */
  releaseWeights(minBytes = DEFER_MIN_BYTES): void {
    for (const t of this.graph.initializer ?? []) if (t.rawData && t.rawData.length >= minBytes) releaseTensorData(t);
  }

  /** Serialize (external data must be inlined or written by save()). External data is read and inlined. */
  toBytes(): Uint8Array {
    const bytes = this.initializerBytes();
    if (bytes > PROTO_LIMIT) {
      throw new UserError(
        ErrorCodes.UNSUPPORTED,
        `the model holds ${bytes} bytes of weights, more than one protobuf message can (2 GiB)`,
        {
          hint: 'save it to a file instead: save() writes the weights to an external data file',
        },
      );
    }
    return serializeModel(this.proto, this.baseDir).model;
  }

  /** Atomic write (temp file in the same folder + rename); refuses to overwrite the input; spills to `<file>.data` when over the threshold. Returns bytes written (model + external data). */
  async save(path: string, options: SaveOptions = {}): Promise<{ bytes: number; externalDataPath?: string }> {
    const threshold = options.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD;
    return saveModel(this.proto, this.baseDir, path, {
      inputs: [this.sourcePath, options.inputPath].filter((p): p is string => p !== undefined),
      spill: this.initializerBytes() > threshold,
      minBytes: EXTERNAL_DATA_MIN_BYTES,
    });
  }
}

function normDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}
