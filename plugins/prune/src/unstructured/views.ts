/**
 * A weight as rows of outputs: [O, K] row-major, row o = the K inputs that feed output o. The masks
 * and solvers work on that view; this file maps it to and from the layouts ONNX stores:
 *   MatMul / Gemm (transB=0): W [K, N], outputs on axis 1 (the view is the transpose);
 *   Gemm (transB=1): W [N, K], outputs on axis 0 (the view is W itself);
 *   Conv: W [M, C/group, k...], outputs on axis 0, K = C/group * prod(k) (kernel positions of one
 *   input channel are consecutive, so an N:M run spans kernel taps before channels).
 */
export interface RowsView {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

/** The view of `values` (shape `dims`) whose output axis is `axis` (0, or 1 for a rank-2 [K, N]). */
export function toRows(values: Float32Array, dims: readonly number[], axis: number): RowsView {
  if (axis === 0) {
    const rows = dims[0];
    return { rows, cols: values.length / rows, data: Float32Array.from(values) };
  }
  if (axis !== 1 || dims.length !== 2)
    throw new RangeError(`toRows: output axis ${axis} of a rank-${dims.length} weight`);
  const [K, N] = dims;
  const data = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) data[n * K + k] = values[k * N + n];
  return { rows: N, cols: K, data };
}

/** Back to the stored layout (inverse of toRows). */
export function fromRows(view: RowsView, dims: readonly number[], axis: number): Float32Array {
  if (axis === 0) return Float32Array.from(view.data);
  const [K, N] = dims;
  const out = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) out[k * N + n] = view.data[n * K + k];
  return out;
}
