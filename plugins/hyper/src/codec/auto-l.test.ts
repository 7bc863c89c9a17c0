/** `l: 'auto'` (auto-l.ts): a per-tensor square side that follows the tensor's scale. */
import { decodeTensor } from './decode.js';
import { encodeTensor } from './encode.js';
import { studentT } from './testdata.fixture.js';
import type { EncodedTensor, HyperEncodedTensor } from './types.js';

const hyper = (e: EncodedTensor): HyperEncodedTensor => {
  if (e.kind !== 'hyper') throw new Error(`raw: ${e.reason}`);
  return e;
};
const meanAbs = (a: Float32Array, b: Float32Array): number =>
  a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

describe("l: 'auto'", () => {
  // the UNet setting, one tensor per scale: from 100x smaller to 40x larger than a 0.1 square fits
  const scales = [0.0005, 0.005, 0.05, 2];
  const fixed = { l: 0.1, U: [225], M: 3 };
  const auto = { l: 'auto' as const, U: [225], M: 3 };

  it('beats the fixed l = 0.1 on tensors of very different scales', () => {
    for (const [i, scale] of scales.entries()) {
      const w = studentT(8001, scale, 11 + i);
      const f = hyper(encodeTensor('t', w, fixed));
      const a = hyper(encodeTensor('t', w, auto));
      // measured on the decoded tensor, not on the encoder's own bookkeeping
      const maeFixed = meanAbs(decodeTensor(f), w);
      const maeAuto = meanAbs(decodeTensor(a), w);
      expect(a.mae).toBeCloseTo(maeAuto, 6);
      // measured: 0.24x, 0.53x, 0.47x, 0.48x of the fixed l's error
      expect(maeAuto).toBeLessThan(0.6 * maeFixed);
    }
  });

  it('no single fixed l matches it over the four scales (error relative to each scale)', () => {
    const ws = scales.map((scale, i) => studentT(8001, scale, 11 + i));
    const relative = (l: number | 'auto'): number =>
      ws.reduce((sum, w, i) => sum + hyper(encodeTensor('t', w, { ...fixed, l })).mae / scales[i], 0);
    const autoErr = relative('auto');
    for (const l of [0.001, 0.01, 0.1, 1, 10]) expect(autoErr).toBeLessThan(relative(l));
  });

  it('is scale-equivariant: 4·w gets 4·l and the very same indices', () => {
    const w = studentT(5001, 0.03, 5);
    const w4 = w.map((v) => v * 4);
    const a = hyper(encodeTensor('t', w, auto));
    const b = hyper(encodeTensor('t', w4, auto));
    expect(b.l).toBe(4 * a.l);
    expect([b.K, b.bits, b.cx, b.cy]).toEqual([a.K, a.bits, 4 * a.cx, 4 * a.cy]);
    expect(Array.from(b.bytes)).toEqual(Array.from(a.bytes));
  });

  it('a constant tensor gets a positive l and decodes exactly', () => {
    const w = new Float32Array(100).fill(0.25);
    const e = hyper(encodeTensor('t', w, auto));
    expect(e.l).toBeGreaterThan(0);
    expect(Array.from(decodeTensor(e))).toEqual(Array.from(w));
  });
});
