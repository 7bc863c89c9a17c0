/**
 * The reference decoder (spec §4, `decompress_v3`): float64 arithmetic in the reference's order,
 * one rounding to float32 at the end. Decoding goes through the exact lookup table (spec §9.2
 * option A): each index's value is a pure function of the index and the tensor's side info, so a
 * table of (n+1)(K+1) pairs gives the same bits as decoding every pair.
 */
import { unpackIndices } from './bits.js';
import { buildCodebook, normF32 } from './kernel.js';
import type { DecodeTensorFn, HyperEncodedTensor, LookupTableFn, ShellScalesFn } from './types.js';

/** F as the decoder recomputes it from the stored float32 centre and farthest point (§4 step 5). */
export function farthestDistance(enc: Pick<HyperEncodedTensor, 'cx' | 'cy' | 'fx' | 'fy'>): number {
  return normF32(Math.fround(enc.cx - enc.fx), Math.fround(enc.cy - enc.fy));
}

/** The decoder's `factor` for shell s: (l/2) / (l/2 + s·each), each = (F − l/2)/K (float64). */
function shellFactors(enc: HyperEncodedTensor): Float64Array {
  const { K, l } = enc;
  const factors = new Float64Array(K + 1).fill(1);
  if (K === 0) return factors;
  const each = (farthestDistance(enc) - l / 2) / K;
  for (let s = 0; s <= K; s++) factors[s] = l / 2 / (l / 2 + s * each);
  return factors;
}

/** S_s = 1/factor_s = d_s/(l/2), s = 0..K (float64; spec §9.2 option B). */
export const shellScales: ShellScalesFn = (enc) => shellFactors(enc).map((f) => 1 / f);

export const lookupTable: LookupTableFn = (enc) => {
  const { n, K, cx, cy } = enc;
  const T = buildCodebook(n, enc.l, cx, cy);
  const n1 = n + 1;
  const lut = new Float32Array(2 * n1 * (K + 1));
  if (K === 0) {
    lut.set(T); // Float32Array store == astype(np.float32)
    return lut;
  }
  const factors = shellFactors(enc);
  for (let s = 0; s <= K; s++) {
    const f = factors[s];
    for (let j = 0; j < n1; j++) {
      const o = 2 * (s * n1 + j);
      lut[o] = (T[2 * j] - cx) / f + cx; // OB* / factor + c, float64, then one float32 rounding
      lut[o + 1] = (T[2 * j + 1] - cy) / f + cy;
    }
  }
  return lut;
};

/** The P packed indices of an encoded tensor. */
export function decodeIndices(enc: HyperEncodedTensor): Uint32Array {
  return unpackIndices(enc.bytes, enc.bits, enc.nz, enc.pairs);
}

export const decodeTensor: DecodeTensorFn = (enc) => {
  const idx = decodeIndices(enc);
  const lut = lookupTable(enc);
  const entries = lut.length >> 1;
  const out = new Float32Array(2 * enc.pairs);
  for (let p = 0; p < idx.length; p++) {
    const i = idx[p];
    if (i >= entries) throw new RangeError(`${enc.name}: index ${i} out of range (n=${enc.n}, K=${enc.K})`);
    out[2 * p] = lut[2 * i];
    out[2 * p + 1] = lut[2 * i + 1];
  }
  return enc.pad ? out.slice(0, enc.numel) : out;
};
