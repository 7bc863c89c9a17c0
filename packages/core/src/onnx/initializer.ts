/**
 * One initializer seen through the Initializer interface, and tensor construction from values.
 *
 * Where the bytes come from (raw_data, typed fields, an external file) is settled in tensorBytes();
 * nothing is read or converted until a read method is called.
 */
import { BugError, ErrorCodes, UserError } from '../errors.js';
import { byteSizeOf, DATA_TYPES, dataTypeInfo, elementCountOf, type DataType } from './dtypes.js';
import { externalRef, isExternal, isSelfReference, readExternal, resolveExternalPath } from './external-data.js';
import type { Initializer } from './model-types.js';
import { toNumber, type onnx } from './proto.js';
import { dataToRaw, rawToFloat32, rawToTyped, typedFieldsToRaw } from './tensor-codec.js';

export function dimsOf(t: onnx.ITensorProto): number[] {
  return (t.dims ?? []).map((d) => toNumber(d));
}

/** Tensors whose bytes were dropped after the model was saved (releaseTensorData). */
const released = new WeakSet<onnx.ITensorProto>();

/**
 * Drop a tensor's in-memory bytes for good (OnnxModel.releaseWeights). Reading it afterwards, or
 * writing it, is mc's bug: it fails instead of giving an empty tensor.
 */
export function releaseTensorData(t: onnx.ITensorProto): void {
  released.add(t);
  t.rawData = new Uint8Array(0);
}

/**
 * Raw little-endian bytes of a tensor, checked against its shape. For raw_data this is a view into
 * the decoded file (no copy): callers that hand bytes out must copy.
 */
export function tensorBytes(t: onnx.ITensorProto, baseDir: string | undefined): Uint8Array {
  const name = t.name ?? '';
  assertHeld(t);
  const dataType = t.dataType ?? 0;
  const count = elementCountOf(dimsOf(t));
  const size = byteSizeOf(dataType, count);
  if (isExternal(t)) {
    const ref = externalRef(t);
    if (ref.length !== undefined && ref.length !== size) {
      throw new UserError(
        ErrorCodes.BAD_MODEL,
        `initializer ${name}: external length ${ref.length} but its shape needs ${size} bytes`,
      );
    }
    return readExternal(resolveExternalPath(baseDir, ref.location, name, isSelfReference(t)), ref.offset, size, name);
  }
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== size) {
      throw new UserError(
        ErrorCodes.BAD_MODEL,
        `initializer ${name} has ${t.rawData.length} bytes of raw_data but its shape needs ${size}`,
      );
    }
    return t.rawData;
  }
  return typedFieldsToRaw(t, count);
}

export function assertHeld(t: onnx.ITensorProto): void {
  if (released.has(t))
    throw new BugError(
      `initializer ${t.name ?? ''} was released once the model was saved, and cannot be read or written again`,
    );
}

/** Bytes a tensor's data takes. String tensors (no fixed element size) count their string_data, so size sums never throw. */
export function storedByteLength(t: onnx.ITensorProto, count = elementCountOf(dimsOf(t))): number {
  if (DATA_TYPES[(t.dataType ?? 0) as DataType]) return byteSizeOf(t.dataType ?? 0, count);
  return (t.stringData ?? []).reduce((n, s) => n + s.length, 0);
}

/** Lazy view of one TensorProto. */
export class TensorInitializer implements Initializer {
  readonly name: string;
  readonly dataType: DataType;
  readonly dims: readonly number[];
  readonly elementCount: number;
  readonly byteLength: number;

  constructor(
    /** The proto itself (the model's own object: editing it edits the model). */
    readonly tensor: onnx.ITensorProto,
    private readonly baseDir: string | undefined,
  ) {
    this.name = tensor.name ?? '';
    this.dataType = (tensor.dataType ?? 0) as DataType;
    this.dims = Object.freeze(dimsOf(tensor));
    this.elementCount = elementCountOf(this.dims);
    this.byteLength = storedByteLength(tensor, this.elementCount);
  }

  /** Whether the bytes live in an external file. */
  get isExternal(): boolean {
    return isExternal(this.tensor);
  }

  readRaw(): Uint8Array {
    const bytes = tensorBytes(this.tensor, this.baseDir);
    // raw_data is a view into the model: hand out a copy so edits cannot reach it.
    return bytes === this.tensor.rawData ? Uint8Array.prototype.slice.call(bytes) : bytes;
  }

  readFloat32(): Float32Array {
    return rawToFloat32(
      tensorBytes(this.tensor, this.baseDir),
      this.dataType,
      this.elementCount,
      isExternal(this.tensor),
    );
  }

  readTyped(): ArrayBufferView {
    return rawToTyped(
      tensorBytes(this.tensor, this.baseDir),
      this.dataType,
      this.elementCount,
      isExternal(this.tensor),
    );
  }
}

/** A TensorProto holding `data` as raw_data (see dataToRaw for what `data` may be). */
export function makeTensor(
  name: string,
  dataType: DataType,
  dims: readonly number[],
  data: ArrayBufferView,
): onnx.ITensorProto {
  dataTypeInfo(dataType); // unsupported types fail here, with the type named
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new BugError(`initializer ${name}: bad dimension ${d} in [${dims.join(', ')}]`);
  }
  const rawData = dataToRaw(data, dataType, elementCountOf(dims), name);
  return { name, dataType, dims: [...dims], rawData };
}
