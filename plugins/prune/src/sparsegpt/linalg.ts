/**
 * SparseGPT's Hessian preparation (the factorizations are @mc-kit/core's, shared with GPTQ), and
 * the error for a Hessian that damping did not make positive definite.
 */

/** Thrown when the damped Hessian is not positive definite. */
export class NotPositiveDefinite extends Error {
  constructor() {
    super('the damped Hessian is not positive definite');
  }
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
