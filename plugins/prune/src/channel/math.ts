/** Structured channel pruning: pure functions over typed arrays (filter norms, choice, slicing). */

/** L1 norm of every slice of `w` (shape `dims`) along `axis`: Σ |w| over all other axes. */
export function l1PerSlice(w: ArrayLike<number>, dims: readonly number[], axis: number): Float64Array {
  const n = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < w.length; i++) out[Math.floor(i / inner) % n] += Math.abs(w[i]);
  return out;
}

/** The `count` lowest scores' indices (ties: lower index first), ascending. */
export function lowestChannels(scores: ArrayLike<number>, count: number): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[a] - scores[b] || a - b);
  return idx.slice(0, count).sort((a, b) => a - b);
}

/** Drop the indices in `remove` along `axis`; returns the data and the new dims. */
export function dropAlong<T extends Float32Array | Uint8Array>(
  w: T,
  dims: readonly number[],
  axis: number,
  remove: ReadonlySet<number>,
): { data: T; dims: number[] } {
  const n = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !remove.has(i));
  const Ctor = w.constructor as new (n: number) => T;
  const data = new Ctor(outer * keep.length * inner);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (const k of keep) {
      const start = (o * n + k) * inner;
      data.set(w.subarray(start, start + inner) as never, p);
      p += inner;
    }
  }
  const newDims = [...dims];
  newDims[axis] = keep.length;
  return { data, dims: newDims };
}
