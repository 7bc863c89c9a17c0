/** The layer output error of a MatMul-layout weight [K, N] (core's formula works on rows of outputs [N, K]). */
import { outputErrorSums, type OutputErrorSums } from '@mc-kit/core';

/** [K, N] -> [N, K] */
export function toOutputRows(w: ArrayLike<number>, K: number, N: number): Float32Array {
  const out = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) out[n * K + k] = w[k * N + n];
  return out;
}

/** ||X W' - X W||^2 and ||X W||^2 for W, W' [K, N] on H (any positive multiple of X^T X) [K, K]. */
export function matmulOutputError(
  w: ArrayLike<number>,
  changed: ArrayLike<number>,
  K: number,
  N: number,
  H: ArrayLike<number>,
): OutputErrorSums {
  return outputErrorSums(toOutputRows(w, K, N), toOutputRows(changed, K, N), N, K, H);
}
