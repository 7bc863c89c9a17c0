/**
 * Test-only: the golden vectors of shared/data/hyper-golden (made by running the reference
 * implementation, see its README), with float32 bit patterns turned back into numbers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..', '../shared');
export const GOLDEN_PATH = join(SHARED, 'data', 'hyper-golden', 'cases.json');
export const HAS_GOLDEN = existsSync(GOLDEN_PATH);

interface RawCase {
  w: number[];
  l: number;
  U: number[];
  M: number;
  file: string;
  bytes: number[];
  pad: number;
  nIndex: number;
  K: number;
  c: [number, number];
  far: [number, number];
  dec: number[];
}

export interface GoldenCase {
  id: number;
  w: Float32Array;
  l: number;
  U: number[];
  M: number;
  file: string;
  /** `uint_i` and `nz` from the reference's file name `<i>_<shape>_<uint_i>_<nz>.bin` */
  bits: number;
  nz: number;
  bytes: Uint8Array;
  pad: 0 | 1;
  nIndex: number;
  K: number;
  cx: number;
  cy: number;
  fx: number;
  fy: number;
  dec: Float32Array;
}

const fromBits = (u: number[]): Float32Array => new Float32Array(Uint32Array.from(u).buffer);

export function loadGolden(): GoldenCase[] {
  const raw = JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as RawCase[];
  return raw.map((r, id) => {
    const fields = r.file.replace(/\.bin$/, '').split('_');
    const [cx, cy] = fromBits(r.c);
    const [fx, fy] = fromBits(r.far);
    return {
      id,
      w: fromBits(r.w),
      l: r.l,
      U: r.U,
      M: r.M,
      file: r.file,
      bits: Number(fields[fields.length - 2]),
      nz: Number(fields[fields.length - 1]),
      bytes: Uint8Array.from(r.bytes),
      pad: r.pad as 0 | 1,
      nIndex: r.nIndex,
      K: r.K,
      cx,
      cy,
      fx,
      fy,
      dec: fromBits(r.dec),
    };
  });
}
