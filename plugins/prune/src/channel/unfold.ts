/**
 * im2col written out (pure, float64): the patches a 2-D Conv multiplies its weight with, one row per
 * output position, features in the order of W viewed [Cout, Cin·kh·kw] (channel, kernel row,
 * kernel column). The reference the refit's statistics are checked against; too slow for real
 * models (the capture computes the same sums inside onnxruntime).
 */
import type { PatchStats } from './refit.js';

export interface ConvGeometry {
  readonly kernel: readonly [number, number];
  /** [top, left, bottom, right] */
  readonly pads: readonly [number, number, number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
}

export const POINTWISE: ConvGeometry = { kernel: [1, 1], pads: [0, 0, 0, 0], strides: [1, 1], dilations: [1, 1] };

/** Patches of x [N, C, H, W] as rows [N·Ho·Wo, C·kh·kw]. */
export function unfold(
  x: ArrayLike<number>,
  dims: readonly number[],
  g: ConvGeometry,
): { rows: number; features: number; data: Float64Array } {
  const [N, C, H, W] = dims;
  const [kh, kw] = g.kernel;
  const [pt, pl, pb, pr] = g.pads;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilations;
  const Ho = Math.floor((H + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const features = C * kh * kw;
  const rows = N * Ho * Wo;
  const data = new Float64Array(rows * features);
  let r = 0;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      for (let ow = 0; ow < Wo; ow++, r++) {
        for (let c = 0; c < C; c++) {
          for (let a = 0; a < kh; a++) {
            const ih = oh * sh - pt + a * dh;
            for (let b = 0; b < kw; b++) {
              const iw = ow * sw - pl + b * dw;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              data[r * features + (c * kh + a) * kw + b] = x[((n * C + c) * H + ih) * W + iw];
            }
          }
        }
      }
    }
  }
  return { rows, features, data };
}

/** Σ x xᵀ, Σ x and the row count of rows [rows, features]. */
export function statsOfRows(data: ArrayLike<number>, rows: number, features: number): PatchStats {
  const xtx = new Float64Array(features * features);
  const sum = new Float64Array(features);
  for (let r = 0; r < rows; r++) {
    const base = r * features;
    for (let i = 0; i < features; i++) {
      const xi = data[base + i];
      sum[i] += xi;
      if (xi === 0) continue;
      for (let j = 0; j < features; j++) xtx[i * features + j] += xi * data[base + j];
    }
  }
  return { features, rows, xtx, sum };
}
