/** planTargetBpw: per-tensor n and l under an average bits-per-weight budget. */
import { decodeTensor } from './decode.js';
import { encodeTensor } from './encode.js';
import { planTargetBpw } from './plan-bpw.js';
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
    expect(plan.tensors[3]).toMatchObject({ name: 'bias', settings: null, bpw: 32, encoded: { kind: 'raw', reason: 'too-small' } });
  });

  it('more bits buy less error', () => {
    const maes = [3.5, 4.5, 6].map((b) => planTargetBpw(TENSORS, b, GRID).mae);
    expect(maes[1]).toBeLessThan(maes[0]);
    expect(maes[2]).toBeLessThan(maes[1]);
  });

  it('beats one l and one n for every tensor at the same budget', () => {
    const plan = planTargetBpw(TENSORS, 5, GRID);
    // uniform settings that fit the same budget: every grid n with the reference's l = 0.1 or l auto
    for (const n of GRID.n) {
      for (const l of [0.1, 'auto'] as const) {
        let bits = 0;
        let err = 0;
        for (const t of TENSORS) {
          const e = encodeTensor(t.name, t.w, { l, U: [n], M: 3 });
          bits += e.kind === 'hyper' ? 8 * (e.bytes.length + SIDE) : 32 * t.w.length;
          err += e.kind === 'hyper' ? e.mae * t.w.length : 0;
        }
        if (bits / numel <= 5) expect(plan.mae).toBeLessThan(err / numel);
      }
    }
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

  it('rejects a target that is not a positive number', () => {
    for (const bad of [0, -1, NaN, Infinity]) {
      expect(() => planTargetBpw(TENSORS, bad, GRID)).toThrow(expect.objectContaining({ code: 'E_BAD_PARAM' }));
    }
  });
});
