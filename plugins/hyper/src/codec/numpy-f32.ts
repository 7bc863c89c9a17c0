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
    const r = new Array<number>(8);
    for (let j = 0; j < 8; j++) r[j] = a[start + j * stride];
    let i = 8;
    for (; i < count - (count % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = f32(r[j] + a[start + (i + j) * stride]);
    }
    let res = f32(f32(f32(r[0] + r[1]) + f32(r[2] + r[3])) + f32(f32(r[4] + r[5]) + f32(r[6] + r[7])));
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
