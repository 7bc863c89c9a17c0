/**
 * --store sparse: a pruned tensor becomes an ONNX sparse_initializer (values [NNZ] + linear indices
 * [NNZ]) where that takes fewer bytes than the dense tensor. onnxruntime turns sparse initializers
 * back into dense tensors when it loads the graph, so the model runs unchanged; only the file shrinks.
 *
 * Indices are stored in the narrowest signed integer type that holds the tensor's largest linear
 * index (int8/int16/int32/int64): onnxruntime-node 1.30 loads all four (tested in sparse.test.ts),
 * but the ONNX spec, and onnx.checker, want int64 indices, which pay only above 2/3 sparsity
 * for float32. The report gives both sizes and says which type each tensor got.
 */
import { DataType, makeTensor, type OnnxModel } from '@mc-kit/core';
import type { PruneTensorReport } from '../report.js';

// The protobuf constructors are not part of core's API; a plain object with the same fields encodes the same.
interface SparseTensor {
  values: ReturnType<typeof makeTensor>;
  indices: ReturnType<typeof makeTensor>;
  dims: number[];
}

const INDEX_TYPES = [
  { type: DataType.INT8, bytes: 1, max: 127, make: (a: number[]) => Int8Array.from(a) },
  { type: DataType.INT16, bytes: 2, max: 32767, make: (a: number[]) => Int16Array.from(a) },
  { type: DataType.INT32, bytes: 4, max: 2 ** 31 - 1, make: (a: number[]) => Int32Array.from(a) },
  {
    type: DataType.INT64,
    bytes: 8,
    max: Number.MAX_SAFE_INTEGER,
    make: (a: number[]) => BigInt64Array.from(a, (v) => BigInt(v)),
  },
] as const;

/** Bytes of the sparse form of `count` elements with `nnz` non-zeros of `valueBytes` each. */
export function sparseBytes(count: number, nnz: number, valueBytes: number): { bytes: number; indexType: DataType } {
  const it = INDEX_TYPES.find((t) => count - 1 <= t.max) ?? INDEX_TYPES[3];
  return { bytes: nnz * (valueBytes + it.bytes), indexType: it.type };
}

export function storeSparse(
  model: OnnxModel,
  tensors: readonly PruneTensorReport[],
): { tensors: PruneTensorReport[]; notes: string[] } {
  const out: PruneTensorReport[] = [];
  let moved = 0;
  let dense = 0;
  let sparse = 0;
  const graph = model.proto.graph!; // sparse_initializer has no OnnxModel method: the proto is the documented escape hatch
  for (const t of tensors) {
    const init = t.action === 'skipped' ? undefined : model.getInitializer(t.name);
    if (!init || init.dataType !== DataType.FLOAT) {
      out.push(t);
      continue;
    }
    const values = init.readFloat32();
    const idx: number[] = [];
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) idx.push(i);
    const { bytes, indexType } = sparseBytes(values.length, idx.length, 4);
    if (bytes >= init.byteLength) {
      out.push(t);
      continue;
    }
    const it = INDEX_TYPES.find((x) => x.type === indexType)!;
    const entry: SparseTensor = {
      values: makeTensor(
        init.name,
        DataType.FLOAT,
        [idx.length],
        Float32Array.from(idx, (i) => values[i]),
      ),
      indices: makeTensor('', indexType, [idx.length], it.make(idx)),
      dims: [...init.dims],
    };
    model.removeInitializer(init.name);
    (graph.sparseInitializer ??= []).push(entry as never);
    moved++;
    dense += init.byteLength;
    sparse += bytes;
    out.push({
      ...t,
      bytesAfter: bytes,
      bitsPerWeight: (8 * bytes) / t.elements,
      storage: 'sparse',
      reason: `sparse_initializer, ${DataType[indexType].toLowerCase()} indices`,
    });
  }
  const notes = moved
    ? [
        `--store sparse: ${moved} tensors as sparse_initializers, ${dense} -> ${sparse} bytes (${(dense / sparse).toFixed(2)}x); indices in the narrowest integer type (onnxruntime loads int8/16/32 indices; the ONNX spec and onnx.checker want int64); onnxruntime densifies them at load, so memory at run time is not reduced. Put --store sparse on the last step of a chain: later methods do not see sparse initializers`,
      ]
    : [
        '--store sparse: no pruned tensor is smaller in sparse form (each non-zero costs its value plus an index), so all stay dense',
      ];
  return { tensors: out, notes };
}
