/**
 * How far one run's outputs are from another's: per output, the largest absolute difference and
 * that difference relative to the largest magnitude of the reference output (so a tolerance of
 * 1e-5 reads "equal to 1e-5 of the output's scale"). Non-float outputs must be equal; NaN equals
 * NaN where both runs have it.
 */
import type { HostTensor } from '../session/types.js';

export interface OutputDifference {
  readonly name: string;
  readonly maxAbsDiff: number;
  /** maxAbsDiff / max |reference|; Infinity where shapes, types or non-float values differ */
  readonly relative: number;
}

function asNumbers(t: HostTensor): ArrayLike<number> | undefined {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return Float32Array.from(t.data as Uint16Array, halfToFloat);
  return undefined;
}

function halfToFloat(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function compareTensors(name: string, reference: HostTensor, other: HostTensor): OutputDifference {
  const mismatch = { name, maxAbsDiff: Infinity, relative: Infinity };
  if (reference.type !== other.type || reference.dims.join() !== other.dims.join()) return mismatch;
  const a = asNumbers(reference);
  const b = asNumbers(other);
  if (!a || !b) {
    const x = reference.data as ArrayLike<number | bigint>;
    const y = other.data as ArrayLike<number | bigint>;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return mismatch;
    return { name, maxAbsDiff: 0, relative: 0 };
  }
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
export function compareOutputs(reference: Record<string, HostTensor>, other: Record<string, HostTensor>): OutputDifference[] {
  return Object.keys(reference).map((name) => (other[name] ? compareTensors(name, reference[name], other[name]) : { name, maxAbsDiff: Infinity, relative: Infinity }));
}
