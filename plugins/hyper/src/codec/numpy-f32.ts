/**
 * numpy's float32 reductions, reproduced so the encoder's centre and pad value match the reference
 * bit for bit (spec §3.1: `np.mean` of float32 data sums pairwise IN FLOAT32, then divides).
 * Checked against numpy 2.4.6 for contiguous and stride-2 inputs of 10..40,000 values: a 1-D
 * reduction is one pairwise sum over the whole run (no 8192-element buffering).
 */
const f32 = Math.fround;

/** numpy `pairwise_sum` for float32 (PW_BLOCKSIZE 128, 8 accumulators) over a[start + i·stride]. */
export function pairwiseSumF32(a: Float32Array, start: number, count: number, stride: number): number {
  if (count < 8) {
    let res = 0;
    for (let i = 0; i < count; i++) res = f32(res + a[start + i * stride]);
    return res;
  }
  if (count <= 128) {
    // eight accumulators as locals (an array per leaf cost an allocation every 128 values)
    let r0 = a[start];
    let r1 = a[start + stride];
    let r2 = a[start + 2 * stride];
    let r3 = a[start + 3 * stride];
    let r4 = a[start + 4 * stride];
    let r5 = a[start + 5 * stride];
    let r6 = a[start + 6 * stride];
    let r7 = a[start + 7 * stride];
    let i = 8;
    for (; i < count - (count % 8); i += 8) {
      const p = start + i * stride;
      r0 = f32(r0 + a[p]);
      r1 = f32(r1 + a[p + stride]);
      r2 = f32(r2 + a[p + 2 * stride]);
      r3 = f32(r3 + a[p + 3 * stride]);
      r4 = f32(r4 + a[p + 4 * stride]);
      r5 = f32(r5 + a[p + 5 * stride]);
      r6 = f32(r6 + a[p + 6 * stride]);
      r7 = f32(r7 + a[p + 7 * stride]);
    }
    let res = f32(f32(f32(r0 + r1) + f32(r2 + r3)) + f32(f32(r4 + r5) + f32(r6 + r7)));
    for (; i < count; i++) res = f32(res + a[start + i * stride]);
    return res;
  }
  let n2 = Math.floor(count / 2);
  n2 -= n2 % 8;
  return f32(pairwiseSumF32(a, start, n2, stride) + pairwiseSumF32(a, start + n2 * stride, count - n2, stride));
}

/** `np.mean` of float32 values: float32 pairwise sum, then a float32 division by the count. */
export function meanF32(a: Float32Array, start = 0, count = a.length, stride = 1): number {
  // float64 division then one rounding == float32 division (53 >= 2·24 + 2: no double rounding)
  return f32(pairwiseSumF32(a, start, count, stride) / count);
}
