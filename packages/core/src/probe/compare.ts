/**
 * How far one run's outputs are from another's, two ways (pure; no onnxruntime):
 *
 *   - equality (compareTensors, compareOutputs; the opset upgrade's check): per output, the largest
 *     absolute difference and that difference relative to the largest magnitude of the reference
 *     output, so a tolerance of 1e-5 reads "equal to 1e-5 of the output's scale". Non-float outputs
 *     must be equal; NaN equals NaN where both runs have it.
 *   - drift (DriftSums; the dense against the compressed model): Σ(y − ŷ)², Σy², and, over a class
 *     axis, how many argmaxes agree. Positions where the dense output is not finite are left out
 *     (random inputs can overflow a model); a compressed value that is not finite where the dense one
 *     is counts apart, since it would make the error meaningless.
 */
import { float16ArrayToFloat32 } from '../onnx/dtypes.js';
import type { HostTensor } from '../session/types.js';
import type { OutputDrift } from './types.js';

/** The values of a tensor as numbers (float16 decoded, int64 converted). */
export function valuesOf(t: HostTensor): ArrayLike<number> {
  if (t.type === 'float16') return float16ArrayToFloat32(t.data as Uint16Array);
  if (t.data instanceof BigInt64Array) return Float64Array.from(t.data, (v) => Number(v));
  return t.data as ArrayLike<number>;
}

// ---- equality ----

export interface OutputDifference {
  readonly name: string;
  readonly maxAbsDiff: number;
  /** maxAbsDiff / max |reference|; Infinity where shapes, types or non-float values differ */
  readonly relative: number;
}

const isFloat = (t: HostTensor) => t.type === 'float32' || t.type === 'float16';

export function compareTensors(name: string, reference: HostTensor, other: HostTensor): OutputDifference {
  const mismatch = { name, maxAbsDiff: Infinity, relative: Infinity };
  if (reference.type !== other.type || reference.dims.join() !== other.dims.join()) return mismatch;
  if (!isFloat(reference)) {
    const x = reference.data as ArrayLike<number | bigint>;
    const y = other.data as ArrayLike<number | bigint>;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return mismatch;
    return { name, maxAbsDiff: 0, relative: 0 };
  }
  const a = valuesOf(reference);
  const b = valuesOf(other);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return mismatch;
      continue;
    }
    if (x !== y) diff = Math.max(diff, Math.abs(x - y)); // equal infinities differ by nothing
    if (Number.isFinite(x)) scale = Math.max(scale, Math.abs(x));
  }
  return { name, maxAbsDiff: diff, relative: diff === 0 ? 0 : scale === 0 ? Infinity : diff / scale };
}

/** Every output of `reference` against the same output of `other`. */
export function compareOutputs(
  reference: Record<string, HostTensor>,
  other: Record<string, HostTensor>,
): OutputDifference[] {
  return Object.keys(reference).map((name) =>
    other[name]
      ? compareTensors(name, reference[name], other[name])
      : { name, maxAbsDiff: Infinity, relative: Infinity },
  );
}

// ---- drift ----

export interface DriftSums {
  readonly name: string;
  readonly classAxis?: number;
  sumSquaredError: number;
  sumSquaredDense: number;
  elements: number;
  /** compressed values not finite where the dense ones are */
  nonFinite: number;
  agree: number;
  positions: number;
}

export function newSums(name: string, classAxis?: number): DriftSums {
  return { name, classAxis, sumSquaredError: 0, sumSquaredDense: 0, elements: 0, nonFinite: 0, agree: 0, positions: 0 };
}

/**
 * The axis of an output that holds classes, where it has one: [N, C] (a classifier) or [batch, T, V]
 * (an LM's logits; the first dim must be a batch, not a fixed size like an LSTM state's 2 layers),
 * with at least 2 classes. Rank-4 outputs are left out (a KV cache [batch, heads, T, d] looks like
 * per-pixel classes [N, C, H, W]), and so are outputs named as states or caches.
 */
export function classAxisOf(name: string, dims: readonly number[], firstDimIsBatch: boolean): number | undefined {
  if (/present|past|hidden|state|cache/i.test(name)) return undefined;
  const axis = dims.length === 2 ? 1 : dims.length === 3 && firstDimIsBatch ? 2 : undefined;
  return axis !== undefined && dims[axis] >= 2 ? axis : undefined;
}

export function accumulate(sums: DriftSums, dense: HostTensor, compressed: HostTensor): void {
  const y = valuesOf(dense);
  const z = valuesOf(compressed);
  if (y.length !== z.length)
    throw new RangeError(`output ${sums.name}: dense has ${y.length} values, compressed ${z.length}`);
  for (let i = 0; i < y.length; i++) {
    const a = y[i];
    const b = z[i];
    if (!Number.isFinite(a)) continue;
    if (!Number.isFinite(b)) {
      sums.nonFinite++;
      continue;
    }
    sums.sumSquaredError += (a - b) ** 2;
    sums.sumSquaredDense += a * a;
    sums.elements++;
  }
  if (sums.classAxis === undefined) return;
  const dims = dense.dims;
  const classes = dims[sums.classAxis];
  const outer = dims.slice(0, sums.classAxis).reduce((p, d) => p * d, 1);
  const inner = dims.slice(sums.classAxis + 1).reduce((p, d) => p * d, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * classes * inner + i;
      if (argmax(y, base, inner, classes) === argmax(z, base, inner, classes)) sums.agree++;
      sums.positions++;
    }
  }
}

/** Index of the first largest of `count` values at base, base + stride, ... (NaN never wins). */
function argmax(v: ArrayLike<number>, base: number, stride: number, count: number): number {
  let best = 0;
  let max = -Infinity;
  for (let c = 0; c < count; c++) {
    const x = v[base + c * stride];
    if (x > max) {
      max = x;
      best = c;
    }
  }
  return best;
}

/** ‖y − ŷ‖/‖y‖ (an all-zero dense output: 0 if ŷ is zero too, else 1) and the agreement share. */
export function finish(sums: DriftSums): OutputDrift {
  const { sumSquaredError: err, sumSquaredDense: ref } = sums;
  return {
    name: sums.name,
    relativeError: ref > 0 ? Math.sqrt(err / ref) : err > 0 ? 1 : 0,
    sumSquaredError: err,
    sumSquaredDense: ref,
    elements: sums.elements,
    nonFinite: sums.nonFinite,
    ...(sums.classAxis !== undefined
      ? {
          classAxis: sums.classAxis,
          top1Agreement: sums.positions ? sums.agree / sums.positions : 1,
          positions: sums.positions,
        }
      : {}),
  };
}
