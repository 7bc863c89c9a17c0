/**
 * Codebook test vectors from spec §2.3 (produced by the reference's `get_Try` with centre (0, 0),
 * printed with Python repr, so every literal is the exact float64).
 */
import { codebook, codebookF32, windingSteps } from './codebook.js';

const pt = (T: Float64Array, j: number): [number, number] => [T[2 * j], T[2 * j + 1]];

describe('codebook (spec §2.3 test vectors)', () => {
  it('n=225, l=0.1: steps, and T[16] wraps to the TOP edge', () => {
    expect(windingSteps(225, 0.1)).toEqual([0.00044444444444444447, 0.006666666666666666]);
    const T = codebook(225, 0.1);
    expect(T.length).toBe(2 * 226);
    expect(pt(T, 0)).toEqual([0, 0]);
    expect(pt(T, 1)).toEqual([-0.05, -0.05]);
    expect(pt(T, 2)).toEqual([-0.04955555555555556, -0.043333333333333335]);
    expect(pt(T, 16)).toEqual([-0.043333333333333335, 0.04999999999999999]);
    expect(pt(T, 225)).toEqual([0.04955555555555556, 0.0433333333333331]);
    // the 14 wrapped points k = 15, 30, ..., 210 all sit on the top edge, not the bottom one
    for (let a = 1; a <= 14; a++) expect(T[2 * (15 * a + 1) + 1]).toBeGreaterThan(0.0499);
    expect(T.filter((v, i) => i % 2 === 1 && v > 0.0499).length).toBe(14);
  });

  it('n=1600, l=0.8', () => {
    expect(windingSteps(1600, 0.8)).toEqual([0.0005, 0.020000000000000004]);
    const T = codebook(1600, 0.8);
    expect(pt(T, 1)).toEqual([-0.4, -0.4]);
    expect(pt(T, 2)).toEqual([-0.3995, -0.38]);
    expect(pt(T, 16)).toEqual([-0.3925, -0.09999999999999998]);
    expect(pt(T, 1600)).toEqual([0.39949999999999997, 0.3800000000000058]);
  });

  it('n=1600, l=0.1', () => {
    expect(windingSteps(1600, 0.1)).toEqual([6.25e-5, 0.0025000000000000005]);
    const T = codebook(1600, 0.1);
    expect(pt(T, 1)).toEqual([-0.05, -0.05]);
    expect(pt(T, 2)).toEqual([-0.0499375, -0.0475]);
    expect(pt(T, 16)).toEqual([-0.0490625, -0.012499999999999997]);
    expect(pt(T, 1600)).toEqual([0.049937499999999996, 0.04750000000000072]);
  });

  it('§8.4: n=4 around the worked example centre', () => {
    const cx = 0.04049999639391899;
    const cy = -0.025227272883057594;
    const T = codebook(4, 0.1, cx, cy);
    expect(Array.from(T)).toEqual([
      cx,
      cy,
      -0.009500003606081012,
      -0.0752272728830576,
      0.01549999639391899,
      -0.025227272883057594,
      0.04049999639391899,
      -0.0752272728830576,
      0.065499996393919,
      -0.02522727288305758,
    ]);
  });

  it('codebookF32 is the float64 table rounded once', () => {
    const T = codebook(225, 0.1, 0.25, -0.5);
    const T32 = codebookF32(225, 0.1, 0.25, -0.5);
    for (let i = 0; i < T.length; i++) expect(T32[i]).toBe(Math.fround(T[i]));
  });
});
