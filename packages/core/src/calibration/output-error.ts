/**
 * A compressed layer's output error on the calibration inputs, from X^T X alone (no activations):
 * ||X W' - X W||_F^2 = Σ_o d_o^T (X^T X) d_o with d = W' - W, and ||X W||_F^2 = Σ_o w_o^T (X^T X) w_o.
 * Kept as the two sums so the groups of a grouped Conv (each its own X^T X) add up to one figure.
 * GPTQ and the pruning methods report it per layer (a weight's rows are its outputs: [O, K]).
 */

export interface OutputErrorSums {
  /** ||X W' - X W||_F^2 */
  readonly num: number;
  /** ||X W||_F^2 */
  readonly den: number;
}

/** The two sums for W [rows, cols] (row o = the cols inputs of output o) against W' of the same layout; xtx [cols, cols]. */
export function outputErrorSums(
  w: ArrayLike<number>,
  changed: ArrayLike<number>,
  rows: number,
  cols: number,
  xtx: ArrayLike<number>,
): OutputErrorSums {
  let num = 0;
  let den = 0;
  const d = new Float64Array(cols);
  const hw = new Float64Array(cols);
  const hd = new Float64Array(cols);
  for (let o = 0; o < rows; o++) {
    const base = o * cols;
    let any = false;
    for (let k = 0; k < cols; k++) {
      d[k] = changed[base + k] - w[base + k];
      if (d[k] !== 0) any = true;
    }
    hw.fill(0);
    hd.fill(0);
    for (let i = 0; i < cols; i++) {
      const wi = w[base + i];
      const di = d[i];
      if (wi === 0 && di === 0) continue;
      const row = i * cols;
      for (let j = 0; j < cols; j++) {
        hw[j] += wi * xtx[row + j];
        if (any) hd[j] += di * xtx[row + j];
      }
    }
    for (let j = 0; j < cols; j++) {
      den += w[base + j] * hw[j];
      num += d[j] * hd[j];
    }
  }
  return { num, den };
}

/** sqrt(Σ num / Σ den): the relative Frobenius error ||XW' - XW|| / ||XW|| over one or several parts (groups). */
export function relativeError(parts: readonly OutputErrorSums[]): number {
  const num = parts.reduce((n, p) => n + p.num, 0);
  const den = parts.reduce((n, p) => n + p.den, 0);
  return den > 0 ? Math.sqrt(Math.max(0, num) / den) : 0;
}

/** ||X W' - X W|| / ||X W|| for one weight and one X^T X. */
export function relativeOutputError(
  w: ArrayLike<number>,
  changed: ArrayLike<number>,
  rows: number,
  cols: number,
  xtx: ArrayLike<number>,
): number {
  return relativeError([outputErrorSums(w, changed, rows, cols, xtx)]);
}
