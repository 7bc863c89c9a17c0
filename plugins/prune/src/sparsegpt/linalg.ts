/**
 * The dense float64 linear algebra SparseGPT (and GPTQ) need on a K x K Hessian, row-major:
 * damping, Cholesky, the inverse from a Cholesky factor, and the upper factor of that inverse.
 */

/** Thrown when a matrix is not positive definite (even after damping). */
export class NotPositiveDefinite extends Error {
  constructor(readonly column: number) {
    super(`not positive definite at column ${column}`);
  }
}

/** Lower Cholesky factor L of a symmetric positive-definite A (A = L L^T), as a new array. */
export function choleskyLower(a: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    const rj = j * n;
    for (let k = 0; k < j; k++) d -= L[rj + k] * L[rj + k];
    if (!(d > 0)) throw new NotPositiveDefinite(j);
    const ljj = Math.sqrt(d);
    L[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= L[ri + k] * L[rj + k];
      L[ri + j] = s / ljj;
    }
  }
  return L;
}

/** A^-1 from A's lower Cholesky factor (torch.cholesky_inverse): invert L, then L^-T L^-1. */
export function inverseFromCholesky(L: Float64Array, n: number): Float64Array {
  const Li = new Float64Array(n * n); // L^-1, lower triangular
  for (let j = 0; j < n; j++) {
    Li[j * n + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k] * Li[k * n + j];
      Li[i * n + j] = s / L[i * n + i];
    }
  }
  const inv = new Float64Array(n * n); // (L^-1)^T L^-1
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += Li[k * n + i] * Li[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

/** Upper Cholesky factor U of A (A = U^T U) = transpose of the lower factor. */
export function choleskyUpper(a: Float64Array, n: number): Float64Array {
  const L = choleskyLower(a, n);
  const U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) U[j * n + i] = L[i * n + j];
  return U;
}

/**
 * The reference preparation of H (IST-DASLab sparsegpt.py / gptq.py), in place: dead inputs (H_jj = 0)
 * get H_jj = 1 and are returned so their weights can be zeroed; then damp * mean(diag H) is added
 * to the diagonal.
 */
export function prepareHessian(H: Float64Array, n: number, damp: number): Uint8Array {
  const dead = new Uint8Array(n);
  let mean = 0;
  for (let j = 0; j < n; j++) {
    if (H[j * n + j] === 0) {
      dead[j] = 1;
      H[j * n + j] = 1;
    }
    mean += H[j * n + j];
  }
  mean /= n;
  for (let j = 0; j < n; j++) H[j * n + j] += damp * mean;
  return dead;
}
