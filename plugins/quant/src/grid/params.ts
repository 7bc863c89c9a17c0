/**
 * The quantization grid every quant method shares (spec quantization.md §2), for any bit width b:
 * - symmetric: scale = max|w| / (2^(b-1) - 1), codes stored unsigned as q + 2^(b-1);
 * - asymmetric: 2^b - 1 levels over [min, max] widened to include 0 (so 0 is exact: padding, ReLU
 *   zeros), zero point round(-min / scale);
 * - the scale as stored: rounded to its float type, 1 for an all-zero group, never 0;
 * - rounding half to even.
 * int8 (b = 8, one group per channel), int4 (b = 4, blocks, clip search) and GPTQ (b = 2..8, groups)
 * call these; only their layouts differ.
 */
import { minPositive, roundToType, type FloatType } from './float-types.js';

export type Scheme = 'sym' | 'asym';

export const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** Round-to-nearest-even of a finite double; Math.round would send -63.5 to -63 and 32.5 to 33. */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x); // ties go up here
  // r - x is exact (r and x are within 1 of each other), so the tie test is exact too.
  const rounded = r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return rounded + 0; // no -0
}

/** A scale as stored: rounded to its type; 1 for an all-zero group; never 0 after rounding. */
export function storedScale(exact: number, type: FloatType): number {
  if (exact === 0) return 1;
  const s = roundToType(exact, type);
  return s === 0 ? minPositive(type) : s;
}

/** Largest stored code of a b-bit grid. */
export const maxCode = (bits: number): number => 2 ** bits - 1;

/** The implicit zero point of symmetric codes stored unsigned (q + 2^(b-1)). */
export const symZeroPoint = (bits: number): number => 2 ** (bits - 1);

/**
 * Scale and (unsigned) zero point of one group from its min and max, the range shrunk by `clip`
 * (int4's scale search; 1 elsewhere).
 */
export function gridParams(
  lo: number,
  hi: number,
  bits: number,
  scheme: Scheme,
  scaleType: FloatType,
  clip = 1,
): { scale: number; zp: number } {
  if (scheme === 'sym') {
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    return { scale: storedScale((clip * absmax) / (symZeroPoint(bits) - 1), scaleType), zp: symZeroPoint(bits) };
  }
  const l = Math.min(lo, 0) * clip;
  const h = Math.max(hi, 0) * clip;
  const scale = storedScale((h - l) / maxCode(bits), scaleType);
  return { scale, zp: clamp(roundHalfToEven(-l / scale), 0, maxCode(bits)) };
}

/** The stored code of w on a b-bit grid: clamp(round(w / scale) + zp, 0, 2^b - 1). */
export const codeOf = (w: number, scale: number, zp: number, bits: number): number =>
  clamp(roundHalfToEven(w / scale) + zp, 0, maxCode(bits));
