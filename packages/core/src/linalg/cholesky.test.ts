/**
 * Cholesky factors and inverses against hand-computed values, and the one-factorization
 * cholesky_upper(inverse(A)) against the reference three-step path.
 */
import { choleskyLower, choleskyUpper, choleskyUpperOfInverse, inverseFromCholesky, invertLower } from './cholesky.js';

/** Deterministic pseudo-random numbers in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** X^T X of X [rows, K]. */
function gram(X: Float64Array, rows: number, K: number): Float64Array {
  const A = new Float64Array(K * K);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) A[i * K + j] += X[r * K + i] * X[r * K + j];
  return A;
}

describe('linalg', () => {
  it('Cholesky factors and the inverse of a known SPD matrix', () => {
    const A = Float64Array.from([4, 2, 2, 3]); // L = [[2, 0], [1, sqrt 2]]
    const L = choleskyLower(A, 2)!;
    expect(Array.from(L)).toEqual([2, 0, 1, Math.SQRT2]);
    const inv = inverseFromCholesky(L, 2); // 1/8 [[3, -2], [-2, 4]]
    [3 / 8, -2 / 8, -2 / 8, 4 / 8].forEach((v, i) => expect(inv[i]).toBeCloseTo(v, 14));
    const U = choleskyUpper(A, 2)!;
    expect(Array.from(U)).toEqual([2, 1, 0, Math.SQRT2]);
    expect(choleskyLower(Float64Array.from([1, 2, 2, 1]), 2)).toBeUndefined(); // indefinite
    expect(Array.from(invertLower(L, 2))).toEqual([0.5, 0, -0.5 / Math.SQRT2, 1 / Math.SQRT2]);
  });

  it('cholesky_upper(inverse(A)) in one factorization equals the reference three-step path', () => {
    const rnd = lcg(5);
    const K = 37;
    const X = Float64Array.from({ length: 80 * K }, rnd);
    const A = gram(X, 80, K);
    for (let j = 0; j < K; j++) A[j * K + j] += 0.01;
    const reference = choleskyUpper(inverseFromCholesky(choleskyLower(A, K)!, K), K)!;
    const fast = choleskyUpperOfInverse(A, K)!;
    const scale = Math.max(...Array.from(reference, Math.abs));
    for (let i = 0; i < K * K; i++) expect(Math.abs(fast[i] - reference[i])).toBeLessThan(1e-10 * scale);
    for (let i = 1; i < K; i++) for (let j = 0; j < i; j++) expect(fast[i * K + j]).toBe(0);
  });
});

describe('a 3 x 3 SPD matrix', () => {
  const A = new Float64Array([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
  it('inverseFromCholesky gives A^-1', () => {
    const inv = inverseFromCholesky(choleskyLower(A, 3)!, 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += A[i * 3 + k] * inv[k * 3 + j];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });
  it('the upper factor satisfies U^T U = A', () => {
    const U = choleskyUpper(A, 3)!;
    expect(U[3]).toBe(0); // below the diagonal
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += U[k * 3 + i] * U[k * 3 + j];
        expect(s).toBeCloseTo(A[i * 3 + j], 12);
      }
  });
});
