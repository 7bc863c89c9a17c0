/**
 * The dense float64 linear algebra of the second-order compressors (GPTQ, SparseGPT), on row-major
 * K x K arrays: Cholesky factors and the inverse through them. What their references do in three
 * torch calls (`cholesky`, `cholesky_inverse`, `cholesky(upper=True)`), written out once, here,
 * for every plugin. Every factorization returns undefined when the matrix is not positive
 * definite; the caller knows what to tell the user (raise the damping, add calibration data).
 */

/** Lower L with A = L L^T, in place in a copy; undefined when A is not positive definite. */
export function choleskyLower(A: Float64Array, K: number): Float64Array | undefined {
  const L = new Float64Array(K * K);
  for (let j = 0; j < K; j++) {
    const rowJ = j * K;
    let d = A[rowJ + j];
    for (let k = 0; k < j; k++) d -= L[rowJ + k] * L[rowJ + k];
    if (!(d > 0) || !Number.isFinite(d)) return undefined;
    const ljj = Math.sqrt(d);
    L[rowJ + j] = ljj;
    for (let i = j + 1; i < K; i++) {
      const rowI = i * K;
      let s = A[rowI + j];
      for (let k = 0; k < j; k++) s -= L[rowI + k] * L[rowJ + k];
      L[rowI + j] = s / ljj;
    }
  }
  return L;
}

/** inv(L) of a lower-triangular L, row by row (rows of M are built from earlier rows: contiguous axpys). */
export function invertLower(L: Float64Array, K: number): Float64Array {
  const M = new Float64Array(K * K);
  for (let i = 0; i < K; i++) {
    const row = i * K;
    // M[i, :i] = -(Σ_{k<i} L[i][k] M[k, :k+1]) / L[i][i]
    for (let k = 0; k < i; k++) {
      const a = L[row + k];
      if (a === 0) continue;
      const src = k * K;
      for (let j = 0; j <= k; j++) M[row + j] += a * M[src + j];
    }
    const d = L[row + i];
    for (let j = 0; j < i; j++) M[row + j] = -M[row + j] / d;
    M[row + i] = 1 / d;
  }
  return M;
}

/** A^-1 from A's lower Cholesky factor: inv(L)^T inv(L). */
export function inverseFromCholesky(L: Float64Array, K: number): Float64Array {
  const M = invertLower(L, K);
  // A^-1 = M^T M: (i, j) = Σ_k M[k][i] M[k][j], k >= max(i, j)
  const inv = new Float64Array(K * K);
  for (let k = 0; k < K; k++) {
    const row = k * K;
    for (let i = 0; i <= k; i++) {
      const mki = M[row + i];
      if (mki === 0) continue;
      const out = i * K;
      for (let j = i; j <= k; j++) inv[out + j] += mki * M[row + j];
    }
  }
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) inv[j * K + i] = inv[i * K + j];
  return inv;
}

/**
 * cholesky_upper(inverse(A)) in one factorization: with J the order reversal and J A J = L L^T,
 * A^-1 = (J L^-T J)(J L^-1 J) = U^T U where U = J L^-1 J is upper triangular with a positive
 * diagonal, so it IS the upper Cholesky factor of A^-1 (tested equal to the three-step path).
 */
export function choleskyUpperOfInverse(A: Float64Array, K: number): Float64Array | undefined {
  const R = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) R[i * K + j] = A[(K - 1 - i) * K + (K - 1 - j)];
  const L = choleskyLower(R, K);
  if (!L) return undefined;
  const M = invertLower(L, K);
  const U = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = i; j < K; j++) U[i * K + j] = M[(K - 1 - i) * K + (K - 1 - j)];
  return U;
}

/** Upper U with A = U^T U (the transpose of the lower factor); undefined when not positive definite. */
export function choleskyUpper(A: Float64Array, K: number): Float64Array | undefined {
  const L = choleskyLower(A, K);
  if (!L) return undefined;
  const U = new Float64Array(K * K);
  for (let i = 0; i < K; i++) for (let j = 0; j <= i; j++) U[j * K + i] = L[i * K + j];
  return U;
}
