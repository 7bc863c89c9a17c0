/**
 * Tensor bytes <-> values. Everything is funnelled through one form, raw little-endian bytes as
 * raw_data holds them (int4/uint4 packed low nibble first), so each reader (readTyped, readFloat32)
 * and each writer is written once.
 *
 * The typed fields follow onnx.proto: float_data (FLOAT), int32_data (INT32, INT16, INT8, UINT16,
 * UINT8, BOOL, FLOAT16/BFLOAT16 bits, FLOAT8 bits, one value per entry; INT4/UINT4 one PACKED byte
 * per entry), int64_data (INT64), double_data (DOUBLE), uint64_data (UINT32, UINT64).
 */
import { BugError, ErrorCodes, UserError } from '../errors.js';
import {
  bfloat16ArrayToFloat32,
  byteSizeOf,
  DataType,
  dataTypeInfo,
  dataTypeName,
  float16ArrayToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  packInt4,
  unpackInt4,
  type TypedArray,
} from './dtypes.js';
import { toBigInt, type onnx } from './proto.js';

// Typed-array views over raw_data assume the host is little-endian, as raw_data is (every platform
// onnxruntime-node ships for is). Fail loudly rather than produce byte-swapped weights.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new BugError('mc needs a little-endian host: ONNX raw_data is little-endian');
}

/** [[TypedArrayName]] of a value ('Float32Array', ...). Realm-independent, unlike instanceof (jest vm contexts). */
export function arrayTag(x: unknown): string {
  return Object.prototype.toString.call(x).slice(8, -1);
}

/** The bytes of a typed array, as a view (no copy). */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Decode the typed fields (no raw_data) of `t` into raw bytes; `count` is the element count from dims. */
export function typedFieldsToRaw(t: onnx.ITensorProto, count: number): Uint8Array {
  const dt = t.dataType ?? DataType.UNDEFINED;
  const name = t.name ?? '';
  const expect = (n: number | undefined, field: string, want = count): void => {
    if ((n ?? 0) !== want) {
      throw new UserError(
        ErrorCodes.BAD_MODEL,
        `initializer ${name} has ${n ?? 0} values in ${field} but its shape needs ${want}`,
      );
    }
  };
  switch (dt) {
    case DataType.FLOAT:
    case DataType.COMPLEX64: {
      const want = dt === DataType.COMPLEX64 ? 2 * count : count;
      expect(t.floatData?.length, 'float_data', want);
      return bytesOf(Float32Array.from(t.floatData ?? []));
    }
    case DataType.DOUBLE:
    case DataType.COMPLEX128: {
      const want = dt === DataType.COMPLEX128 ? 2 * count : count;
      expect(t.doubleData?.length, 'double_data', want);
      return bytesOf(Float64Array.from(t.doubleData ?? []));
    }
    case DataType.INT64:
      expect(t.int64Data?.length, 'int64_data');
      return bytesOf(BigInt64Array.from(t.int64Data ?? [], (v) => BigInt.asIntN(64, toBigInt(v))));
    case DataType.UINT64:
      expect(t.uint64Data?.length, 'uint64_data');
      return bytesOf(BigUint64Array.from(t.uint64Data ?? [], (v) => BigInt.asUintN(64, toBigInt(v))));
    case DataType.UINT32:
      expect(t.uint64Data?.length, 'uint64_data');
      return bytesOf(Uint32Array.from(t.uint64Data ?? [], (v) => Number(BigInt.asUintN(32, toBigInt(v)))));
    case DataType.INT4:
    case DataType.UINT4: {
      // One packed byte (two values) per int32 entry.
      expect(t.int32Data?.length, 'int32_data (packed)', Math.ceil(count / 2));
      return Uint8Array.from(t.int32Data ?? [], (v) => v & 0xff);
    }
    default: {
      const info = dataTypeInfo(dt);
      if (!info.array) break;
      // The rest (INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16/BFLOAT16/FLOAT8 bits) travel one
      // value per int32 entry; the typed array's own conversion keeps the low bits.
      expect(t.int32Data?.length, 'int32_data');
      return bytesOf((info.array as Int32ArrayConstructor).from(t.int32Data ?? []));
    }
  }
  throw new UserError(
    ErrorCodes.UNSUPPORTED,
    `initializer ${name}: ${dataTypeName(dt)} data in typed fields is not supported`,
  );
}

/** Raw bytes -> a fresh typed array of the natural type (int4/uint4 unpacked, f16/bf16 as bits). */
export function rawToTyped(raw: Uint8Array, dataType: number, count: number, owned = false): TypedArray {
  const info = dataTypeInfo(dataType);
  if (dataType === DataType.INT4 || dataType === DataType.UINT4)
    return unpackInt4(raw, count, dataType === DataType.INT4);
  if (!info.array) throw new UserError(ErrorCodes.UNSUPPORTED, `${info.name} tensors cannot be read as an array`);
  // `owned`: the caller read these bytes fresh (external data) and nobody else holds them, so an
  // aligned view costs nothing; a second copy of a 1 GB weight would double the peak memory.
  if (owned && raw.byteOffset % info.array.BYTES_PER_ELEMENT === 0)
    return new info.array(raw.buffer as ArrayBuffer, raw.byteOffset, count);
  // slice() copies into a new, aligned buffer: raw_data views sit at arbitrary file offsets, and the
  // caller may modify the result without touching the model. Uint8Array's slice, not the Buffer's
  // own: protobufjs hands raw_data over as a Node Buffer, whose slice() is a view, not a copy.
  const copy = Uint8Array.prototype.slice.call(raw, 0, byteSizeOf(dataType, count));
  return new info.array(copy.buffer, 0, count);
}

/** Raw bytes -> float32 values (exact for f16/bf16/int8/int4; float64 and large ints are rounded). */
export function rawToFloat32(raw: Uint8Array, dataType: number, count: number, owned = false): Float32Array {
  const typed = rawToTyped(raw, dataType, count, owned);
  switch (dataType) {
    case DataType.FLOAT:
      return typed as Float32Array;
    case DataType.FLOAT16:
      return float16ArrayToFloat32(typed as Uint16Array);
    case DataType.BFLOAT16:
      return bfloat16ArrayToFloat32(typed as Uint16Array);
    case DataType.INT64:
    case DataType.UINT64:
      return Float32Array.from(typed as BigInt64Array, (v) => Number(v));
    default:
      if (dataType >= DataType.FLOAT8E4M3FN && dataType <= DataType.FLOAT8E5M2FNUZ) {
        throw new UserError(ErrorCodes.UNSUPPORTED, `reading ${dataTypeName(dataType)} as float32 is not supported`);
      }
      return Float32Array.from(typed as Exclude<TypedArray, BigInt64Array | BigUint64Array>);
  }
}

/**
 * What setInitializer accepts -> raw bytes, checked against the shape. A Uint8Array holds raw
 * bytes (for int4/uint4: packed when it has ceil(n/2) bytes, one value per element when it has n);
 * any other typed array must match the type, except that Float32Array is also accepted (and
 * rounded to nearest even) for float16/bfloat16.
 */
export function dataToRaw(data: ArrayBufferView, dataType: number, count: number, name: string): Uint8Array {
  const size = byteSizeOf(dataType, count);
  const tag = arrayTag(data);
  const is4bit = dataType === DataType.INT4 || dataType === DataType.UINT4;
  const mismatch = (): never => {
    throw new BugError(
      `setInitializer ${name}: a ${tag} of ${(data as TypedArray).length ?? data.byteLength} values does not fit ${dataTypeName(dataType)} with ${count} elements`,
    );
  };
  if (is4bit) {
    if (tag === 'Uint8Array' && data.byteLength === size) return bytesOf(data).slice();
    if ((tag === 'Int8Array' || tag === 'Uint8Array') && (data as Int8Array).length === count) {
      return packInt4(data as Int8Array, dataType === DataType.INT4);
    }
    return mismatch();
  }
  if ((dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16) && tag === 'Float32Array') {
    if ((data as Float32Array).length !== count) mismatch();
    const bits =
      dataType === DataType.FLOAT16
        ? float32ArrayToFloat16(data as Float32Array)
        : float32ArrayToBfloat16(data as Float32Array);
    return bytesOf(bits);
  }
  const info = dataTypeInfo(dataType);
  const natural = info.array?.name;
  if (tag !== 'Uint8Array' && tag !== natural) mismatch();
  if (data.byteLength !== size) mismatch();
  // Copy, so later edits to the caller's array do not reach the model.
  return bytesOf(data).slice();
}
