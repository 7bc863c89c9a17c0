/** The encoder against the reference's own output (shared/data/hyper-golden) and spec §8.4. */
import { isUserError } from '@mc-kit/core';
import { decodeTensor } from './decode.js';
import { encodeTensor } from './encode.js';
import { GOLDEN_PATH, HAS_GOLDEN, loadGolden } from './golden.fixture.js';
import type { HyperEncodedTensor } from './types.js';

const f32 = Math.fround;
const WORKED_W = Float32Array.from([0.012, -0.034, 0.051, 0.007, -0.002, 0.0, 0.21, -0.15, 0.033, 0.018, -0.061]);

function hyper(e: ReturnType<typeof encodeTensor>): HyperEncodedTensor {
  if (e.kind !== 'hyper') throw new Error(`expected a hyper tensor, got raw (${e.reason})`);
  return e;
}

describe('encodeTensor', () => {
  it('§8.4 worked example: centre, farthest point, K, indices and bytes', () => {
    const e = hyper(encodeTensor('worked', WORKED_W, { l: 0.1, U: [4], M: 2 }));
    expect(e.pad).toBe(1);
    expect(e.cx).toBe(0.04049999639391899);
    expect(e.cy).toBe(-0.025227272883057594);
    expect([e.fx, e.fy]).toEqual([f32(0.21), f32(-0.15)]);
    expect(e.K).toBe(1);
    expect(e.bits).toBe(4);
    expect(e.nz).toBe(0);
    expect(Array.from(e.bytes)).toEqual([0x20, 0x29, 0x07]);
    // MAE vs input = 0.0310 (spec §8.4 step 7)
    expect(e.mae).toBeCloseTo(0.031, 3);
  });

  it('keeps tensors under 10 values raw (spec §1.1)', () => {
    expect(encodeTensor('b', new Float32Array(9).fill(0.5), { l: 0.1, U: [225], M: 3 })).toEqual({
      kind: 'raw',
      name: 'b',
      numel: 9,
      reason: 'too-small',
    });
    expect(encodeTensor('b', new Float32Array(10).fill(0.5), { l: 0.1, U: [225], M: 3 }).kind).toBe('hyper');
  });

  it('a NaN or Inf weight is a UserError naming the tensor', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const w = new Float32Array(64).fill(0.01);
      w[17] = bad;
      let err: unknown;
      try {
        encodeTensor('layer.3.weight', w, { l: 0.1, U: [225], M: 3 });
      } catch (e) {
        err = e;
      }
      expect(isUserError(err)).toBe(true);
      expect((err as Error).message).toContain('layer.3.weight');
      expect((err as Error).message).toContain('element 17');
    }
  });

  it('bad settings are UserErrors', () => {
    const w = new Float32Array(64);
    for (const s of [
      { l: -1, U: [225], M: 3 },
      { l: 0.1, U: [], M: 3 },
      { l: 0.1, U: [225], M: 0 },
      { l: 0.1, U: [100000], M: 3 },
    ]) {
      expect(() => encodeTensor('t', w, s)).toThrow(expect.objectContaining({ code: 'E_BAD_PARAM' }));
    }
  });

  it('maxMae keeps a tensor raw when its MAE exceeds the limit (the LLaMA rule)', () => {
    const e = encodeTensor('t', WORKED_W, { l: 0.1, U: [4], M: 2, maxMae: 0.006 });
    expect(e.kind).toBe('raw');
    if (e.kind === 'raw') {
      expect(e.reason).toBe('mae-limit');
      expect(e.mae).toBeCloseTo(0.031, 3);
    }
    expect(encodeTensor('t', WORKED_W, { l: 0.1, U: [4], M: 2, maxMae: 0.05 }).kind).toBe('hyper');
  });

  it('an all-zero tensor decodes exactly with 1-bit indices (spec §7.3)', () => {
    const e = hyper(encodeTensor('z', new Float32Array(11), { l: 0.1, U: [225], M: 3 }));
    expect([e.K, e.bits, e.nz, Array.from(e.bytes)]).toEqual([0, 1, 2, [0]]);
    expect(Array.from(decodeTensor(e))).toEqual(new Array(11).fill(0));
  });

  (HAS_GOLDEN ? describe : describe.skip)(
    'golden cases: same K, nIndex, pad, centre and bytes as the reference',
    () => {
      if (!HAS_GOLDEN) console.warn(`encode.test: ${GOLDEN_PATH} is absent; skipping the golden cases`);
      const cases = HAS_GOLDEN ? loadGolden() : [];
      it.each(cases.map((c) => [c.id, c.file, c] as const))('case %i (%s)', (_id, _file, c) => {
        const e = hyper(encodeTensor(`case${c.id}`, c.w, { l: c.l, U: c.U, M: c.M }));
        expect({
          pad: e.pad,
          nIndex: e.nIndex,
          K: e.K,
          cx: e.cx,
          cy: e.cy,
          fx: e.fx,
          fy: e.fy,
          bits: e.bits,
          nz: e.nz,
        }).toEqual({
          pad: c.pad,
          nIndex: c.nIndex,
          K: c.K,
          cx: c.cx,
          cy: c.cy,
          fx: c.fx,
          fy: c.fy,
          bits: c.bits,
          nz: c.nz,
        });
        expect(Array.from(e.bytes)).toEqual(Array.from(c.bytes));
        // and what we wrote decodes to the reference decoder's output
        const dec = decodeTensor(e);
        expect(Array.from(dec)).toEqual(Array.from(c.dec));
      });
    },
  );
});
