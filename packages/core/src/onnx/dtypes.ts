/**
 * ONNX TensorProto.DataType numbers (onnx.proto). onnx-proto's enum predates INT4/UINT4, so the
 * numbers are listed here; data_type is a plain int32 on the wire.
 *
 * SKELETON: the table of element sizes and conversions (float16/bfloat16 <-> float32, int4 packing)
 * lives in this module.
 */
export enum DataType {
  UNDEFINED = 0,
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  STRING = 8,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  COMPLEX64 = 14,
  COMPLEX128 = 15,
  BFLOAT16 = 16,
  FLOAT8E4M3FN = 17,
  FLOAT8E4M3FNUZ = 18,
  FLOAT8E5M2 = 19,
  FLOAT8E5M2FNUZ = 20,
  UINT4 = 21,
  INT4 = 22,
}
