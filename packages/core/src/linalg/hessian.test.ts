/**
 * prepareHessian against hand-computed values: the dead-input rule, the damping λ = damp · mean(diag H),
 * the column order, the 10x retries when H + λI is not positive definite, and the give-up path.
 */
import { prepareHessian } from './hessian.js';

const diagOf = (A: Float64Array, K: number) => Array.from({ length: K }, (_, j) => A[j * K + j]);

describe('prepareHessian', () => {
  it('takes cholesky_upper(H^-1) of an undamped positive definite H', () => {
    // H = [[4, 2], [2, 3]]: H^-1 = 1/8 [[3, -2], [-2, 4]] = U^T U with U = [[√(3/8), -(2/8)/√(3/8)], [0, √(1/3)]]
    const p = prepareHessian(Float64Array.from([4, 2, 2, 3]), 2, { damp: 0 })!;
    expect(p.dampUsed).toBe(0);
    expect(p.deadCount).toBe(0);
    const want = [Math.sqrt(3 / 8), -0.25 / Math.sqrt(3 / 8), 0, Math.sqrt(1 / 3)];
    want.forEach((v, i) => expect(p.Hinv[i]).toBeCloseTo(v, 14));
  });

  it('adds damp · mean(diag H) to the diagonal, and leaves its input alone', () => {
    const H = Float64Array.from([2, 0, 0, 4]); // mean 3, λ = 1.5 at damp 0.5: diag(3.5, 5.5)
    const p = prepareHessian(H, 2, { damp: 0.5 })!;
    expect(diagOf(p.Hinv, 2)).toEqual([1 / Math.sqrt(3.5), 1 / Math.sqrt(5.5)]);
    expect(Array.from(H)).toEqual([2, 0, 0, 4]);
  });

  it('sets dead inputs (H_jj = 0) to 1 before the mean, and returns them', () => {
    const p = prepareHessian(Float64Array.from([0, 0, 0, 4]), 2, { damp: 0.5 })!; // diag(1, 4), mean 2.5, λ 1.25
    expect(Array.from(p.dead)).toEqual([1, 0]);
    expect(p.deadCount).toBe(1);
    expect(diagOf(p.Hinv, 2)).toEqual([1 / 1.5, 1 / Math.sqrt(5.25)]);
  });

  it('walks the given column order, computed on H with its dead inputs set', () => {
    let seen: number[] = [];
    const p = prepareHessian(Float64Array.from([0, 0, 0, 0, 5, 0, 0, 0, 3]), 3, {
      damp: 0,
      order: (H, K) => {
        seen = diagOf(H, K);
        return Int32Array.from([1, 2, 0]);
      },
    })!;
    expect(seen).toEqual([1, 5, 3]);
    expect(Array.from(p.order!)).toEqual([1, 2, 0]);
    expect(diagOf(p.Hinv, 3)).toEqual([1 / Math.sqrt(5), 1 / Math.sqrt(3), 1]);
  });

  it('raises the damping 10x while H + λI is not positive definite, from 0.01 when it was 0', () => {
    // [[1, 1000], [1000, 1]] has eigenvalues 1001 and -999: λ = damp · 1 must pass 999
    const p = prepareHessian(Float64Array.from([1, 1000, 1000, 1]), 2, { damp: 0.01 })!;
    expect(p.dampUsed).toBeCloseTo(1000, 9); // 0.01, 0.1, 1, 10, 100 fail; 1000 passes
    const ones = prepareHessian(new Float64Array(4).fill(1), 2, { damp: 0 })!; // singular: 0 fails, 0.01 passes
    expect(ones.dampUsed).toBe(0.01);
  });

  it('gives up (undefined) when five 10x raises do not make it positive definite', () => {
    expect(prepareHessian(Float64Array.from([1, 1e6, 1e6, 1]), 2, { damp: 0.01 })).toBeUndefined();
    expect(prepareHessian(Float64Array.from([1, NaN, NaN, 1]), 2, { damp: 0.01 })).toBeUndefined();
  });
});
