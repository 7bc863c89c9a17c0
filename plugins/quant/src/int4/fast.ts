/**
 * The fast path of int4 RTN: the same codes and scales as math.ts `quantizeInt4Ref`, bit for bit
 * (fast.test.ts), some fifteen times faster. Chosen in one place, `quantizeInt4` below.
 *
 * What makes it fast: a MatMul weight [K, N] is walked row by row (contiguous) with the min/max of
 * N blocks kept side by side, instead of column by column with a stride of N; rounding is the
 * add-and-subtract of 1.5 * 2^52, which IS round-half-to-even for |x| < 2^51 (the sum lands where
 * the float64 spacing is 1, and 1.5 * 2^52 is even, so IEEE ties-to-even rounds x to even); codes
 * are stored four to a word; and there is no function call per weight, nor per block for float32
 * scales. The clip search stays on the reference (6 trials per block).
 */
import {
  blockParams,
  checkLayout,
  LEVELS_ASYM,
  QMAX_SYM,
  quantizeInt4Ref,
  SYM_ZERO_POINT,
  type BlockLayout,
  type Int4Blocks,
  type Int4Options,
} from './math.js';
import { quantizeInt4Wasm, wasmRtnApplies } from './wasm/rtn.js';

const ROUND = 6755399441055744; // 1.5 * 2^52
const MIN_F32 = 2 ** -149;

/** Block-wise RTN, without the clip search. */
export function quantizeInt4Fast(w: Float32Array, layout: BlockLayout, options: Int4Options): Int4Blocks {
  const { blockSize, scheme } = options;
  checkLayout(w.length, layout, blockSize);
  if (options.searchScale) throw new RangeError('quantizeInt4Fast has no clip search: use quantizeInt4');
  if (blockSize < 4) throw new RangeError('quantizeInt4Fast packs codes four to a word: block size >= 4');
  const scaleType = options.scaleType ?? 'float32';
  const { outer, dim, inner } = layout;
  const rows = outer * inner;
  const kBlocks = Math.ceil(dim / blockSize);
  const padded = kBlocks * blockSize;
  const codes = new Uint8Array(rows * padded);
  const scales = new Float32Array(rows * kBlocks);
  const zeroPoints = new Uint8Array(rows * kBlocks);
  const sym = scheme === 'sym';
  const lo = new Float64Array(inner); // symmetric: max|w| of each row's block; asymmetric: min
  const hi = new Float64Array(inner);
  const s = new Float64Array(inner);
  const z = new Float64Array(inner);
  // Codes go to `tmp` first, [inner, span] for a chunk of blocks (span = chunk * blockSize >= 256
  // bytes), four to a 32-bit word (little-endian, as core requires), then out to `codes` a row at a
  // time. Storing straight into `codes` would stride by a multiple of 4 KiB for a MatMul weight
  // [K, N] (row r of `codes` is column n of W), so every store of a pass hits the same cache set.
  const chunk = Math.max(1, Math.ceil(256 / blockSize));
  const span = chunk * blockSize;
  const tmp = new Uint8Array(inner * span);
  const tmp32 = new Uint32Array(tmp.buffer);
  const codes32 = new Uint32Array(codes.buffer);
  const wordsPerSpan = span / 4;
  for (let o = 0; o < outer; o++) {
    for (let b0 = 0; b0 < kBlocks; b0 += chunk) {
      const b1 = Math.min(kBlocks, b0 + chunk);
      for (let b = b0; b < b1; b++) {
        const d0 = b * blockSize;
        const n = Math.min(blockSize, dim - d0);
        const first = (o * dim + d0) * inner;
        if (sym) blockAbsMax(w, first, n, inner, lo);
        else blockMinMax(w, first, n, inner, lo, hi);
        if (scaleType === 'float32') paramsF32(sym, lo, hi, inner, s, z);
        else {
          for (let i = 0; i < inner; i++) {
            const p = sym
              ? blockParams(-lo[i], lo[i], scheme, scaleType)
              : blockParams(lo[i], hi[i], scheme, scaleType);
            s[i] = p.scale;
            z[i] = p.zp;
          }
        }
        for (let i = 0, g = o * inner * kBlocks + b; i < inner; i++, g += kBlocks) {
          scales[g] = s[i];
          zeroPoints[g] = z[i];
        }
        blockCodes(w, first, n, inner, s, z, tmp, (b - b0) * blockSize, span, blockSize);
      }
      const words = ((b1 - b0) * blockSize) / 4;
      const stride = padded / 4;
      for (
        let i = 0, from = 0, to = (o * inner * padded + b0 * blockSize) / 4;
        i < inner;
        i++, to += stride, from += wordsPerSpan
      ) {
        for (let t = 0; t < words; t++) codes32[to + t] = tmp32[from + t];
      }
    }
  }
  return { scheme, blockSize, layout, scaleType, rows, kBlocks, codes, scales, zeroPoints, clipped: 0 };
}

/**
 * math.ts `blockParams` (factor 1) for float32 scales, written out for a row of blocks: the same
 * numbers (fast.test.ts), without a call and an object per block. Symmetric: lo holds max|w|.
 */
function paramsF32(
  sym: boolean,
  lo: Float64Array,
  hi: Float64Array,
  inner: number,
  s: Float64Array,
  z: Float64Array,
): void {
  for (let i = 0; i < inner; i++) {
    // storedScale: 1 for an all-zero block; a scale that rounds to 0 becomes the least float32
    const range = sym ? lo[i] / QMAX_SYM : ((hi[i] > 0 ? hi[i] : 0) - (lo[i] < 0 ? lo[i] : 0)) / LEVELS_ASYM;
    let scale = range === 0 ? 1 : Math.fround(range);
    if (scale === 0) scale = MIN_F32;
    s[i] = scale;
    if (sym) {
      z[i] = SYM_ZERO_POINT;
    } else {
      const zp = -(lo[i] < 0 ? lo[i] : 0) / scale + ROUND - ROUND;
      z[i] = zp < 0 ? 0 : zp > LEVELS_ASYM ? LEVELS_ASYM : zp;
    }
  }
}

/**
 * Codes of one block (rows first..first+n of each column i) into tmp[i * span + col + t], four rows
 * at a time as one little-endian word; the rest of the block (a short last one) is padded with
 * the zero point.
 */
function blockCodes(
  w: Float32Array,
  first: number,
  n: number,
  inner: number,
  s: Float64Array,
  z: Float64Array,
  tmp: Uint8Array,
  col: number,
  span: number,
  blockSize: number,
): void {
  const tmp32 = new Uint32Array(tmp.buffer, tmp.byteOffset, tmp.length >> 2);
  const wordsPerSpan = span >> 2;
  const full = n - (n % 4);
  for (let t = 0, base = first; t < full; t += 4, base += 4 * inner) {
    for (let i = 0, at = (col + t) >> 2; i < inner; i++, at += wordsPerSpan) {
      const si = s[i];
      const zi = z[i];
      let q0 = w[base + i] / si + ROUND - ROUND + zi;
      let q1 = w[base + inner + i] / si + ROUND - ROUND + zi;
      let q2 = w[base + 2 * inner + i] / si + ROUND - ROUND + zi;
      let q3 = w[base + 3 * inner + i] / si + ROUND - ROUND + zi;
      q0 = q0 < 0 ? 0 : q0 > 15 ? 15 : q0;
      q1 = q1 < 0 ? 0 : q1 > 15 ? 15 : q1;
      q2 = q2 < 0 ? 0 : q2 > 15 ? 15 : q2;
      q3 = q3 < 0 ? 0 : q3 > 15 ? 15 : q3;
      tmp32[at] = q0 | (q1 << 8) | (q2 << 16) | (q3 << 24);
    }
  }
  for (let t = full, base = first + full * inner; t < blockSize; t++, base += inner) {
    for (let i = 0, at = col + t; i < inner; i++, at += span) {
      let q = t < n ? w[base + i] / s[i] + ROUND - ROUND + z[i] : z[i]; // padding: the zero point
      q = q < 0 ? 0 : q > 15 ? 15 : q;
      tmp[at] = q;
    }
  }
}

/** max|w| over rows first..first+n of each column i, two rows per step. */
function blockAbsMax(w: Float32Array, first: number, n: number, inner: number, m: Float64Array): void {
  m.fill(0);
  let t = 0;
  for (let base = first; t + 1 < n; t += 2, base += 2 * inner) {
    for (let i = 0; i < inner; i++) {
      const a = Math.abs(w[base + i]);
      const b = Math.abs(w[base + inner + i]);
      const v = a > b ? a : b;
      if (v > m[i]) m[i] = v;
    }
  }
  if (t < n) {
    const base = first + t * inner;
    for (let i = 0; i < inner; i++) {
      const v = Math.abs(w[base + i]);
      if (v > m[i]) m[i] = v;
    }
  }
}

/** min and max over rows first..first+n of each column i, two rows per step. */
function blockMinMax(
  w: Float32Array,
  first: number,
  n: number,
  inner: number,
  lo: Float64Array,
  hi: Float64Array,
): void {
  for (let i = 0; i < inner; i++) lo[i] = hi[i] = w[first + i];
  let t = 1;
  for (let base = first + inner; t + 1 < n; t += 2, base += 2 * inner) {
    for (let i = 0; i < inner; i++) {
      const a = w[base + i];
      const b = w[base + inner + i];
      const l = a < b ? a : b;
      const h = a < b ? b : a;
      if (l < lo[i]) lo[i] = l;
      if (h > hi[i]) hi[i] = h;
    }
  }
  if (t < n) {
    const base = first + t * inner;
    for (let i = 0; i < inner; i++) {
      const v = w[base + i];
      if (v < lo[i]) lo[i] = v;
      if (v > hi[i]) hi[i] = v;
    }
  }
}

/**
 * The one place that picks the kernel, all three giving the same numbers: wasm SIMD (wasm/rtn.ts)
 * where it applies, else this file's JS kernel, else the reference (the clip search, tiny blocks).
 */
export function quantizeInt4(w: Float32Array, layout: BlockLayout, options: Int4Options): Int4Blocks {
  if (options.searchScale || options.blockSize < 4) return quantizeInt4Ref(w, layout, options);
  return wasmRtnApplies(options, layout) ? quantizeInt4Wasm(w, layout, options) : quantizeInt4Fast(w, layout, options);
}
