/**
 * The float types a scale (and a dequantized weight) can be stored in, and exact rounding of a JS
 * number into each. Scales of float16/bfloat16 weights are stored in the weight's own type (spec
 * quantization.md §1), so the codes must be computed against the rounded scale, not the exact one.
 *
 * Rounding is round-to-nearest, ties to even, straight from the double (no detour through float32,
 * which could round twice).
 */
export type FloatType = 'float32' | 'float16' | 'bfloat16';

/** Bits one value of the type occupies on disk. */
export const FLOAT_BITS: Readonly<Record<FloatType, number>> = Object.freeze({
  float32: 32,
  float16: 16,
  bfloat16: 16,
});

/** Round-to-nearest-even of a finite double; Math.round would send -63.5 to -63 and 32.5 to 33. */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x); // ties go up here
  // r - x is exact (r and x are within 1 of each other), so the tie test is exact too.
  const rounded = r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return rounded + 0; // no -0
}

interface Layout {
  readonly mantissaBits: number;
  readonly exponentBias: number;
  /** largest biased exponent of a finite value */
  readonly maxExponent: number;
}

const F16: Layout = { mantissaBits: 10, exponentBias: 15, maxExponent: 30 };
const BF16: Layout = { mantissaBits: 7, exponentBias: 127, maxExponent: 254 };

/** Bits (sign | exponent | mantissa) of the nearest value of a small IEEE-like type. */
function toBits(x: number, t: Layout): number {
  const expBits = 15 - t.mantissaBits; // 5 for f16, 8 for bf16
  const infBits = ((1 << expBits) - 1) << t.mantissaBits;
  if (Number.isNaN(x)) return infBits | (1 << (t.mantissaBits - 1));
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | infBits;
  const minNormalExp = 1 - t.exponentBias;
  if (a < 2 ** minNormalExp) {
    // Subnormal: a multiple of 2^(minNormalExp - mantissaBits); rounding up to 2^mantissaBits gives the smallest normal.
    return sign | roundHalfToEven(a / 2 ** (minNormalExp - t.mantissaBits));
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1; // log2 can be off by one ulp near powers of two
  if (2 ** (e + 1) <= a) e += 1;
  let m = roundHalfToEven((a / 2 ** e - 1) * 2 ** t.mantissaBits);
  if (m === 2 ** t.mantissaBits) {
    m = 0;
    e += 1;
  }
  const biased = e + t.exponentBias;
  if (biased > t.maxExponent) return sign | infBits;
  return sign | (biased << t.mantissaBits) | m;
}

function fromBits(bits: number, t: Layout): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const expBits = 15 - t.mantissaBits;
  const biased = (bits >> t.mantissaBits) & ((1 << expBits) - 1);
  const m = bits & ((1 << t.mantissaBits) - 1);
  if (biased === (1 << expBits) - 1) return m ? NaN : sign * Infinity;
  if (biased === 0) return sign * m * 2 ** (1 - t.exponentBias - t.mantissaBits);
  return sign * (1 + m / 2 ** t.mantissaBits) * 2 ** (biased - t.exponentBias);
}

export const toFloat16Bits = (x: number): number => toBits(x, F16);
export const fromFloat16Bits = (bits: number): number => fromBits(bits, F16);
export const toBfloat16Bits = (x: number): number => toBits(x, BF16);
export const fromBfloat16Bits = (bits: number): number => fromBits(bits, BF16);

/** The nearest value of `type` to x (as a JS number; every such value is exact in float32 too). */
export function roundToType(x: number, type: FloatType): number {
  switch (type) {
    case 'float32':
      return Math.fround(x);
    case 'float16':
      return fromFloat16Bits(toFloat16Bits(x));
    case 'bfloat16':
      return fromBfloat16Bits(toBfloat16Bits(x));
  }
}

/** Smallest positive value of the type (a scale that rounded to 0 is bumped to this). */
export function minPositive(type: FloatType): number {
  return type === 'float32' ? 2 ** -149 : type === 'float16' ? 2 ** -24 : 2 ** -133;
}

/** Values of the type as stored on disk: float32 as is, float16/bfloat16 as their 16-bit patterns. */
export function encodeFloats(values: Float32Array, type: FloatType): Float32Array | Uint16Array {
  if (type === 'float32') return values;
  const out = new Uint16Array(values.length);
  const enc = type === 'float16' ? toFloat16Bits : toBfloat16Bits;
  for (let i = 0; i < values.length; i++) out[i] = enc(values[i]);
  return out;
}
