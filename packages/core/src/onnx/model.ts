/**
 * OnnxModel: one ONNX ModelProto (via onnx-proto's protobuf binding) plus where it came from.
 * Everything a compressor does to a graph goes through this API (STYLE.md §1: rewrite.ts edits the
 * graph only through @mc-kit/core's model API).
 *
 * SKELETON: signatures are the contract; bodies are filled in by the ONNX I/O work.
 */
import type { onnx } from 'onnx-proto';
import type { DataType } from './dtypes.js';

export type NodeProto = onnx.INodeProto;
export type TensorProto = onnx.ITensorProto;
export type ValueInfoProto = onnx.IValueInfoProto;

/** Where a tensor is consumed: node and input slot. */
export interface Consumer {
  readonly node: NodeProto;
  readonly inputIndex: number;
}

/** An initializer, read lazily (raw_data, typed fields or external data). */
export interface Initializer {
  readonly name: string;
  readonly dataType: DataType;
  readonly dims: readonly number[];
  readonly elementCount: number;
  /** Bytes of the data as stored (little-endian raw layout; int4/uint4 packed, low nibble first). */
  readonly byteLength: number;
  /** Raw little-endian bytes (int4/uint4 packed two per byte). */
  readRaw(): Uint8Array;
  /** Values as float32 (float16/bfloat16/float64/ints converted). */
  readFloat32(): Float32Array;
  /** Values unpacked into a typed array of the natural JS type (Float32Array, Int8Array, Uint8Array, Int32Array, BigInt64Array, Uint16Array for f16/bf16 bits, Int8Array/Uint8Array for int4/uint4 unpacked one value per element, ...). */
  readTyped(): ArrayBufferView;
}

export interface SaveOptions {
  /** Initializers above this total size go to an external data file (default 2 GiB - 64 MiB margin). */
  externalDataThreshold?: number;
  /** Refuse to write if the destination resolves to this path (the input); default: the model's own source path. */
  inputPath?: string;
}

export declare class OnnxModel {
  /** Path the model was loaded from (undefined for models built in memory). */
  readonly sourcePath?: string;
  /** The protobuf message (escape hatch; prefer the methods below). */
  readonly proto: onnx.ModelProto;

  /** Read a .onnx file. Throws UserError E_FILE_NOT_FOUND / E_NOT_ONNX / E_TRUNCATED_ONNX. External data is resolved relative to the file. */
  static load(path: string): Promise<OnnxModel>;
  /** Decode bytes; baseDir resolves external data. */
  static fromBytes(bytes: Uint8Array, baseDir?: string): OnnxModel;
  /** Wrap a proto built in memory. */
  static fromProto(proto: onnx.IModelProto): OnnxModel;

  get nodes(): NodeProto[];
  get inputs(): ValueInfoProto[];
  get outputs(): ValueInfoProto[];
  /** Default-domain opset version ('' or 'ai.onnx'), or undefined. */
  opset(domain?: string): number | undefined;
  /** Set (or add) an opset import. */
  setOpset(domain: string, version: number): void;

  initializerNames(): string[];
  getInitializer(name: string): Initializer | undefined;
  /** Add or replace an initializer. data holds raw little-endian bytes, or a typed array matching dataType (int4/uint4: one value per element in Int8Array/Uint8Array, packed on write). */
  setInitializer(name: string, dataType: DataType, dims: readonly number[], data: Uint8Array | ArrayBufferView): void;
  removeInitializer(name: string): void;

  /** Nodes (and graph outputs as node=null is NOT returned) that read `tensorName`. */
  consumers(tensorName: string): Consumer[];
  /** Node producing `tensorName`, if any. */
  producer(tensorName: string): NodeProto | undefined;
  /** Insert a node; placed before the first consumer of any of its outputs to keep topological order. */
  addNode(node: NodeProto): void;
  removeNode(node: NodeProto): void;
  /** A tensor name not used yet in the graph, derived from `base`. */
  uniqueName(base: string): string;

  getMetadata(key: string): string | undefined;
  setMetadata(key: string, value: string): void;
  metadata(): Record<string, string>;

  /** Total elements in float initializers (float32/16/bf16/64). */
  parameterCount(): number;

  /** Serialize (external data must be inlined or written by save()). */
  toBytes(): Uint8Array;
  /** Atomic write (temp file in the same folder + rename); refuses to overwrite the input; spills to `<file>.data` when over the threshold. Returns bytes written (model + external data). */
  save(path: string, options?: SaveOptions): Promise<{ bytes: number; externalDataPath?: string }>;
}
