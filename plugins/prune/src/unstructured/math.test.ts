/**
 * Masks on hand-built 2x8 weights (rows = outputs, columns = inputs), expected masks worked out by
 * hand in the comments (spec pruning.md "Tests that matter").
 */
import {
  applyMask,
  groupedWandaScores,
  layerThresholdMask,
  magnitudeScores,
  nmMask,
  relativeOutputError,
  rowMask,
  sparsityOf,
  wandaScores,
} from './math.js';
import { fromRows, toRows } from './views.js';

// |row0| = 0.5 0.1 0.3 0.3 0.05 0.9 0.2 0.1   (ties: 0.1 at 1 and 7, 0.3 at 2 and 3)
// |row1| = 1   2   3   4   0.5  0.25 0.25 6   (tie: 0.25 at 5 and 6)
const W = new Float32Array([0.5, -0.1, 0.3, -0.3, 0.05, 0.9, -0.2, 0.1, 1, 2, -3, 4, -0.5, 0.25, 0.25, -6]);
const ones = (mask: Uint8Array) => [...mask.keys()].filter((i) => mask[i] === 1);

describe('magnitude masks', () => {
  it('per row: floor(s*K) lowest, ties to the lower index', () => {
    // s = 0.25: 2 per row. row0: 0.05 (4), then 0.1 at 1 beats 0.1 at 7. row1: 0.25 at 5 and 6.
    expect(ones(rowMask(magnitudeScores(W), 2, 8, 0.25))).toEqual([1, 4, 8 + 5, 8 + 6]);
    // s = 0.5: 4 per row. row0: 4, 1, 7, 6. row1: 5, 6, 4, 0.
    expect(ones(rowMask(magnitudeScores(W), 2, 8, 0.5))).toEqual([1, 4, 6, 7, 8 + 0, 8 + 4, 8 + 5, 8 + 6]);
    expect(ones(rowMask(magnitudeScores(W), 2, 8, 0))).toEqual([]);
  });

  it('per layer: the LLM-KICK rule |W| <= sort(|W|)[floor(numel*s)] lets ties exceed s', () => {
    // sorted |W|: 0.05 0.1 0.1 0.2 0.25 0.25 0.3 ...; index floor(16*0.25) = 4 -> thresh 0.25 -> 6 pruned (37.5 %)
    const mask = layerThresholdMask(magnitudeScores(W), 0.25);
    expect(ones(mask)).toEqual([1, 4, 6, 7, 8 + 5, 8 + 6]);
    const w = Float32Array.from(W);
    expect(applyMask(w, mask)).toBe(6);
    expect(sparsityOf(w)).toBe(6 / 16);
    expect(ones(layerThresholdMask(magnitudeScores(W), 0))).toEqual([]);
  });
});

describe('Wanda', () => {
  it('scores |W_ij| * ||X_j|| with a given activation-norm vector, compared within each row', () => {
    const norms = [0.1, 10, 1, 1, 1, 1, 1, 1];
    const s = wandaScores(W, 2, 8, norms);
    // row0 scores: 0.05 1 0.3 0.3 0.05 0.9 0.2 0.1 -> prune 0, 4 (tie, lower first), 7, 6
    // row1 scores: 0.1 20 3 4 0.5 0.25 0.25 6     -> prune 0, 5, 6, 4
    expect(Array.from(s.slice(0, 8)).map((v) => +v.toFixed(6))).toEqual([0.05, 1, 0.3, 0.3, 0.05, 0.9, 0.2, 0.1]);
    expect(ones(rowMask(s, 2, 8, 0.5))).toEqual([0, 4, 6, 7, 8 + 0, 8 + 4, 8 + 5, 8 + 6]);
    // the activation norms change the choice: magnitude alone keeps W[0,0] and prunes W[0,1]
    expect(ones(rowMask(magnitudeScores(W), 2, 8, 0.5))).toContain(1);
    expect(() => wandaScores(W, 2, 8, [1, 2])).toThrow(RangeError);
  });
});

describe('N:M', () => {
  it('2:4 prunes the 2 lowest of every 4 consecutive inputs', () => {
    // row0 runs: [0.5 0.1 0.3 0.3] -> 1, 2 (0.3 tie: lower index); [0.05 0.9 0.2 0.1] -> 4, 7
    // row1 runs: [1 2 3 4] -> 0, 1; [0.5 0.25 0.25 6] -> 5, 6
    expect(ones(nmMask(magnitudeScores(W), 2, 8, 2, 4))).toEqual([1, 2, 4, 7, 8 + 0, 8 + 1, 8 + 5, 8 + 6]);
  });
  it('4:8 prunes the 4 lowest of each run of 8 (here: each row)', () => {
    expect(ones(nmMask(magnitudeScores(W), 2, 8, 4, 8))).toEqual([1, 4, 6, 7, 8 + 0, 8 + 4, 8 + 5, 8 + 6]);
  });
  it('1:2 prunes the lower of each pair', () => {
    // row0 pairs: [0.5 0.1] -> 1; [0.3 0.3] -> 2 (tie); [0.05 0.9] -> 4; [0.2 0.1] -> 7
    expect(ones(nmMask(magnitudeScores(W), 1, 8, 1, 2))).toEqual([1, 2, 4, 7]);
  });
  it('refuses K not a multiple of M, and N >= M', () => {
    expect(() => nmMask(magnitudeScores(W), 2, 8, 2, 3)).toThrow(RangeError);
    expect(() => nmMask(magnitudeScores(W), 2, 8, 4, 4)).toThrow(RangeError);
  });
});

describe('rows view', () => {
  it('transposes a MatMul weight [K, N] so each row holds one output, and back', () => {
    const w = new Float32Array([1, 2, 3, 4, 5, 6]); // [K=2, N=3]
    const v = toRows(w, [2, 3], 1);
    expect([v.rows, v.cols, ...v.data]).toEqual([3, 2, 1, 4, 2, 5, 3, 6]);
    expect(Array.from(fromRows(v, [2, 3], 1))).toEqual([1, 2, 3, 4, 5, 6]);
    const c = toRows(new Float32Array(2 * 3 * 2 * 2), [2, 3, 2, 2], 0); // Conv [M, C, kh, kw]
    expect([c.rows, c.cols]).toEqual([2, 12]);
  });
});

describe('relativeOutputError', () => {
  it("equals ||X(W - W')|| / ||XW|| computed directly", () => {
    const X = [
      [1, 2],
      [0, 1],
      [3, -1],
    ]; // [n=3, K=2]
    const w = new Float32Array([1, 2, -1, 0.5]); // rows view [O=2, K=2]
    const p = new Float32Array([1, 0, 0, 0.5]);
    const xtx = new Float64Array(4);
    for (const r of X) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) xtx[i * 2 + j] += r[i] * r[j];
    let num = 0;
    let den = 0;
    for (const r of X) {
      for (let o = 0; o < 2; o++) {
        const y = r[0] * w[o * 2] + r[1] * w[o * 2 + 1];
        const yp = r[0] * p[o * 2] + r[1] * p[o * 2 + 1];
        num += (y - yp) ** 2;
        den += y * y;
      }
    }
    expect(relativeOutputError(w, p, 2, 2, xtx)).toBeCloseTo(Math.sqrt(num / den), 12);
  });
});

describe('groupedWandaScores', () => {
  it("scores each group's rows with that group's norms (hand values)", () => {
    // 4 rows of 2 inputs, 2 groups: rows 0-1 with norms [1, 2], rows 2-3 with norms [3, 0.5]
    const w = Float32Array.from([1, -1, 2, 0.5, -1, 1, 0.25, -4]);
    expect(
      Array.from(
        groupedWandaScores(w, 4, 2, [
          [1, 2],
          [3, 0.5],
        ]),
      ),
    ).toEqual([1, 2, 2, 1, 3, 0.5, 0.75, 2]);
    expect(() =>
      groupedWandaScores(w, 4, 2, [
        [1, 2],
        [1, 2],
        [1, 2],
      ]),
    ).toThrow(/do not split/);
  });
});
