/**
 * Pixel layout conversion. Models take NCHW, so batches are always [n, C, H, W]; a file stored
 * sample-by-sample as H, W, C (the usual order of decoded images) is transposed per batch.
 */

/** [n, H, W, C] -> [n, C, H, W] (uint8, C order). */
export function hwcToChw(src: Uint8Array, count: number, channels: number, height: number, width: number): Uint8Array {
  const plane = height * width;
  const sample = plane * channels;
  if (src.length !== count * sample)
    throw new RangeError(`hwcToChw: ${src.length} bytes, expected ${count}x${height}x${width}x${channels}`);
  if (channels === 1) return src;
  const dst = new Uint8Array(src.length);
  for (let n = 0; n < count; n++) {
    const base = n * sample;
    for (let p = 0; p < plane; p++) {
      const from = base + p * channels;
      for (let c = 0; c < channels; c++) dst[base + c * plane + p] = src[from + c];
    }
  }
  return dst;
}
