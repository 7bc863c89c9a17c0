/** planTargetBpw: per-tensor n and l under an average bits-per-weight budget. */
import { decodeTensor } from './decode.js';
import { encodeTensor } from './encode.js';
import { errorWeight, meanAbs, planTargetBpw, protectedTiny, solvePlan, type PlanOption } from './plan-bpw.js';
import { studentT } from './testdata.fixture.js';
import { AUTO_L_SIDE_BYTES, SIDE_INFO_BYTES, type NamedWeights, type PlanCandidates } from './types.js';

const SIDE = SIDE_INFO_BYTES + AUTO_L_SIDE_BYTES;
// a small grid keeps the test fast; the default grid is larger
const GRID: PlanCandidates = { n: [16, 64, 225, 900], lScales: [0.7, 1, 1.4], M: 3 };

/** Tensors of different sizes and scales, plus one too small to compress. */
const TENSORS: NamedWeights[] = [
  { name: 'big', w: studentT(8000, 0.02, 1) },
  { name: 'wide', w: studentT(4001, 0.5, 2) },
  { name: 'narrow', w: studentT(2000, 0.001, 3) },
  { name: 'bias', w: studentT(7, 0.1, 4) },
];
const numel = TENSORS.reduce((s, t) => s + t.w.length, 0);

describe('the objective: √numel · MAE / mean|w| (hand-computed)', () => {
  it('errorWeight and meanAbs', () => {
    expect(errorWeight(10000, 0.01)).toBeCloseTo(10000, 9); // √10000 / 0.01
    expect(errorWeight(100, 2)).toBe(5); // √100 / 2
    expect(errorWeight(100, 0)).toBe(10); // all-zero tensor: scale 1
    expect(meanAbs(Float32Array.from([-1, 0.5, 0, 2.5]))).toBe(1);
  });

  it('spends bits where the relative error falls most, not where the absolute error is largest', () => {
    // A: 10000 weights, mean|w| 0.01 (weight √10000/0.01 = 10000); B: 2500 weights, mean|w| 1 (weight 50).
    const opt = (bits: number, mae: number, w: number): PlanOption => ({ n: 1, l: 1, M: 1, bits, err: mae * w });
    const A = [{ n: null, l: 0, M: 0, bits: 320000, err: 0 }, opt(40000, 0.004, 10000), opt(50000, 0.002, 10000)];
    const B = [{ n: null, l: 0, M: 0, bits: 80000, err: 0 }, opt(10000, 0.2, 50), opt(20000, 0.1, 50)];
    // budget 60000 bits fits A1+B1 (50000), A1+B2 and A2+B1 (60000), not A2+B2 (70000) nor any raw.
    // objective: A1+B2 = 40 + 5 = 45, A2+B1 = 20 + 10 = 30  -> A2+B1
    expect(solvePlan([A, B], 60000)).toEqual([2, 1]);
    // the old absolute objective (numel·MAE) would pick A1+B2: 40 + 250 = 290 < A2+B1 = 20 + 500 = 520
    const abs = (o: PlanOption, numel: number, w: number) => ({ ...o, err: (o.err / w) * numel });
    expect(solvePlan([A.map((o) => abs(o, 10000, 10000)), B.map((o) => abs(o, 2500, 50))], 60000)).toEqual([1, 2]);
    // a budget below the cheapest plan (50000) gets the cheapest plan
    expect(solvePlan([A, B], 1000)).toEqual([1, 1]);
  });

  it('protects tiny tensors: each under 0.5% of the weights, smallest first, within 10% of the budget', () => {
    // 100000 weights: tiny means < 500. 4.5 bpw: 10% of the budget is 45000 bits >= 32·(100 + 200) = 9600
    expect([...protectedTiny([100, 200, 50000, 49700], 4.5)].sort()).toEqual([0, 1]);
    // 0.5 bpw: 5000 bits take the 100-weight tensor (3200) but not the 200 one too (9600)
    expect([...protectedTiny([200, 100, 50000, 49700], 0.5)]).toEqual([1]);
    // 0.25 bpw: 2500 bits, less than either
    expect(protectedTiny([100, 200, 50000, 49700], 0.25).size).toBe(0);
    // fewer than 10 elements are never compressed anyway, and 500 is not under 0.5%
    expect(protectedTiny([7, 500, 50000, 49493], 4.5).size).toBe(0);
  });
});

describe('planTargetBpw', () => {
  it('meets the budget, and its figures are the encoded tensors measured honestly', () => {
    const plan = planTargetBpw(TENSORS, 5, GRID);
    expect(plan.met).toBe(true);
    expect(plan.bpw).toBeLessThanOrEqual(5);
    let bits = 0;
    let err = 0;
    for (const [i, t] of plan.tensors.entries()) {
      const w = TENSORS[i].w;
      const e = t.encoded;
      if (e.kind === 'raw') {
        bits += 32 * w.length;
        continue;
      }
      bits += 8 * (e.bytes.length + SIDE);
      const dec = decodeTensor(e);
      err += dec.reduce((s, v, k) => s + Math.abs(v - w[k]), 0);
      // the returned settings reproduce the returned encoding
      expect(encodeTensor(t.name, w, t.settings!)).toEqual(e);
    }
    expect(plan.bpw).toBeCloseTo(bits / numel, 9);
    expect(plan.mae).toBeCloseTo(err / numel, 9);
    const rel = plan.tensors.reduce((a, t, i) => a + (t.mae * t.numel) / meanAbs(TENSORS[i].w), 0);
    expect(plan.relMae).toBeCloseTo(rel / numel, 9);
    expect(plan.tensors[3]).toMatchObject({
      name: 'bias',
      settings: null,
      bpw: 32,
      encoded: { kind: 'raw', reason: 'too-small' },
    });
  });

  it('more bits buy less error', () => {
    const maes = [3.5, 4.5, 6].map((b) => planTargetBpw(TENSORS, b, GRID).relMae);
    expect(maes[1]).toBeLessThan(maes[0]);
    expect(maes[2]).toBeLessThan(maes[1]);
  });

  it('beats one l and one n for every tensor at the same budget, in its objective', () => {
    const plan = planTargetBpw(TENSORS, 5, GRID);
    const objective = (mae: (i: number) => number) =>
      TENSORS.reduce((a, t, i) => a + errorWeight(t.w.length, meanAbs(t.w)) * mae(i), 0);
    const planned = objective((i) => plan.tensors[i].mae);
    let compared = 0;
    // uniform settings that fit the same budget: every grid n with the reference's l = 0.1 or l auto
    for (const n of GRID.n) {
      for (const l of [0.1, 'auto'] as const) {
        let bits = 0;
        let err = 0;
        for (const t of TENSORS) {
          const e = encodeTensor(t.name, t.w, { l, U: [n], M: 3 });
          bits += e.kind === 'hyper' ? 8 * (e.bytes.length + SIDE) : 32 * t.w.length;
          err += e.kind === 'hyper' ? errorWeight(t.w.length, meanAbs(t.w)) * e.mae : 0;
        }
        if (bits / numel > 5) continue;
        compared++;
        expect(planned).toBeLessThan(err);
      }
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('an unreachable target returns the cheapest plan and says so', () => {
    const plan = planTargetBpw(TENSORS, 1, GRID);
    expect(plan.met).toBe(false);
    expect(plan.bpw).toBeGreaterThan(1);
    expect(plan.tensors.slice(0, 3).every((t) => t.settings?.U[0] === 16)).toBe(true);
  });

  it('a generous target keeps everything raw (no error)', () => {
    const plan = planTargetBpw(TENSORS, 32, GRID);
    expect(plan.mae).toBe(0);
    expect(plan.tensors.every((t) => t.encoded.kind === 'raw')).toBe(true);
  });

  it('side info is counted: a costly per-tensor table pushes small tensors to small n', () => {
    const lut = { ...GRID, sideBytes: (n: number, K: number) => 8 * (n + 1) * (K + 1) };
    const plan = planTargetBpw(TENSORS, 6, lut);
    expect(plan.met).toBe(true);
    const narrow = plan.tensors[2];
    expect(narrow.settings === null || narrow.settings.U[0] <= 225).toBe(true);
    expect(plan.bpw).toBeLessThanOrEqual(6);
  });

  it('bytes stored once per model come off the budget and count in the measured bits per weight', () => {
    const numel = TENSORS.reduce((a, t) => a + t.w.length, 0);
    const base = planTargetBpw(TENSORS, 6, GRID);
    const shared = Math.ceil((numel * 0.5) / 8); // half a bit per weight
    const plan = planTargetBpw(TENSORS, 6, { ...GRID, sharedBytes: shared });
    expect(plan.met).toBe(true);
    expect(plan.bpw).toBeLessThanOrEqual(6);
    const perTensor = plan.tensors.reduce((a, t) => a + t.bpw * t.numel, 0);
    expect(plan.bpw * numel).toBeCloseTo(perTensor + 8 * shared, 6);
    expect(perTensor).toBeLessThan(base.tensors.reduce((a, t) => a + t.bpw * t.numel, 0));
  });

  it('rejects a target that is not a positive number', () => {
    for (const bad of [0, -1, NaN, Infinity]) {
      expect(() => planTargetBpw(TENSORS, bad, GRID)).toThrow(expect.objectContaining({ code: 'E_BAD_PARAM' }));
    }
  });
});
