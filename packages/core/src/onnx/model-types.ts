/**
 * The types of the OnnxModel API (kept apart so model.ts holds only behaviour). model.ts re-exports
 * them: import from there or from @mc-kit/core.
 */
import type { DataType } from './dtypes.js';
import type { onnx } from './proto.js';

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
