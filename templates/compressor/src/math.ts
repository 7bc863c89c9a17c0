/**
 * The numbers of the method, apart from the graph: pure functions over typed arrays (no onnxruntime,
 * no files), so they are tested on their own with exact values.
 *
 * REPLACE: this file is the example method's math. Put yours here (quantize, prune, factorize...).
 *
 * The example keeps `bits` of the 23 explicit mantissa bits of each float32 and rounds to nearest,
 * ties to even, working on the bit pattern: bits = 7 gives exactly what a cast to bfloat16 gives.
 */

/** Largest number of explicit mantissa bits a float32 has. */
export const FLOAT32_MANTISSA_BITS = 23;

/** A copy of `values` rounded to `bits` mantissa bits (0..23). NaN and ±Infinity pass through. */
export function roundMantissa(values: Float32Array, bits: number): Float32Array {
  if (!Number.isInteger(bits) || bits < 0 || bits > FLOAT32_MANTISSA_BITS) {
    throw new RangeError(`mantissa bits must be an integer in 0..${FLOAT32_MANTISSA_BITS} (got ${bits})`);
  }
  const out = new Float32Array(values);
  const drop = FLOAT32_MANTISSA_BITS - bits;
  if (drop === 0) return out;
  const word = new Uint32Array(out.buffer);
  const halfMinusOne = 2 ** (drop - 1) - 1;
  const keep = ~(2 ** drop - 1) >>> 0;
  for (let i = 0; i < word.length; i++) {
    const u = word[i];
    if ((u & 0x7f800000) === 0x7f800000) continue; // Infinity or NaN
    // Adding half a step (minus one, plus the lowest kept bit) and cutting rounds ties to even;
    // a carry into the exponent is the correct result (1.96875 -> 2 at bits = 2).
    let r = ((u + halfMinusOne + ((u >>> drop) & 1)) & keep) >>> 0;
    // Within half a step of the largest float32 the carry would give Infinity: cut instead.
    if ((r & 0x7f800000) === 0x7f800000) r = (u & keep) >>> 0;
    word[i] = r;
  }
  return out;
}

/** Largest |a - b| / |a| over the elements (0 where a is 0): the measured cost of the rounding. */
export function maxRelativeChange(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== 0 && Number.isFinite(a[i])) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(a[i]));
  }
  return worst;
}
