/**
 * The `mc.hyper` metadata_props entry: what `mc decompress` needs to check a hyper model and give
 * back the exact decode, and nothing more. Per tensor: its name and shape, the codec's side info
 * (spec §5.1: n, K, l, the centre c and the farthest point f, the index width) that the tables
 * are checked against, and which table it has. The element count, pad and front zero bits follow
 * from shape and width; the decode's initializers are the inputs of the call node that outputs the
 * weight, and only where the decode is written inline (no call node) are their names recorded.
 * c and f are float32 values, written with the fewest digits that give the same float32 back.
 * Parsing validates every field: a tampered entry is the user's bad model, one line, never a crash.
 */
import { ErrorCodes, UserError } from '@mc-kit/core';
import type { HyperEncodedTensor } from '../codec/index.js';
import type { DecodeMode } from '../options.js';
import { TABLE_INPUTS } from './decode-body.js';
import type { DecodeTable } from './decode-tables.js';

export const HYPER_META_KEY = 'mc.hyper';
/** 2: a shared decode function and a compact record (format 1, before it, listed every node and scalar). */
export const HYPER_META_FORMAT = 2;

export interface TensorRecord {
  readonly name: string;
  readonly shape: number[];
  readonly n: number;
  readonly K: number;
  readonly l: number;
  /** the centre (cx, cy) and farthest point (fx, fy), float32 values */
  readonly c: [number, number];
  readonly f: [number, number];
  /** index width */
  readonly bits: number;
  /** spec §9.2 option: 'exact' (A) or 'compact' (B) */
  readonly table: DecodeTable;
  /** inline decodes only: its initializer inputs, packed, header, then the table's (see decode-body.ts) */
  readonly inputs?: string[];
}

export interface HyperMeta {
  readonly format: number;
  readonly decode: DecodeMode;
  readonly tensors: TensorRecord[];
}

/** The shortest decimal that reads back as the same float32 (at most 9 significant digits). */
export function float32Text(v: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const short = Number(v.toPrecision(digits));
    if (Math.fround(short) === v) return short;
  }
  return Number(v.toPrecision(9));
}

/** The decode's input roles for a table kind: packed, header, then the table's. */
export const inputRoles = (table: DecodeTable) => ['packed', 'header', ...TABLE_INPUTS[table]];

/** The record of a tensor as written; `inputs` only for an inline decode. */
export function tensorRecord(
  enc: HyperEncodedTensor,
  shape: readonly number[],
  table: DecodeTable,
  inputs?: string[],
): TensorRecord {
  const [cx, cy, fx, fy] = [enc.cx, enc.cy, enc.fx, enc.fy].map(float32Text);
  return {
    name: enc.name,
    shape: [...shape],
    n: enc.n,
    K: enc.K,
    l: enc.l,
    c: [cx, cy],
    f: [fx, fy],
    bits: enc.bits,
    table,
    ...(inputs ? { inputs } : {}),
  };
}

const bad = (what: string): never => {
  throw new UserError(ErrorCodes.BAD_MODEL, `hyper: malformed model: ${what}`, {
    hint: 'the mc.hyper metadata or the initializers it names were changed after mc compress --method hyper; compress the dense model again',
  });
};

const isInt = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isPoint = (v: unknown) => Array.isArray(v) && v.length === 2 && v.every(isNum);

function checkRecord(t: Record<string, unknown>, i: number): TensorRecord {
  const where = typeof t.name === 'string' ? `tensor "${t.name}"` : `tensor #${i}`;
  if (typeof t.name !== 'string' || t.name === '') bad(`${where} has no name`);
  if (!Array.isArray(t.shape) || t.shape.length === 0 || !t.shape.every((d) => isInt(d, 1, 2 ** 40)))
    bad(`${where}: bad shape`);
  if (!isInt(t.n, 1, 2 ** 17) || !isInt(t.K, 0, 255) || !isInt(t.bits, 1, 17))
    bad(`${where}: n, K or bits out of range`);
  if (!isNum(t.l) || (t.l as number) <= 0) bad(`${where}: l must be a positive number`);
  if (!isPoint(t.c) || !isPoint(t.f)) bad(`${where}: c and f must be two finite numbers each`);
  if (t.table !== 'exact' && t.table !== 'compact') bad(`${where}: table must be exact or compact`);
  if (t.table === 'compact' && t.K === 0) bad(`${where}: a compact table needs K >= 1`);
  const roles = inputRoles(t.table as DecodeTable).length;
  if (
    t.inputs !== undefined &&
    (!Array.isArray(t.inputs) || t.inputs.length !== roles || !t.inputs.every((s) => typeof s === 'string' && s !== ''))
  ) {
    bad(`${where}: needs ${roles} decode input names`);
  }
  return t as unknown as TensorRecord;
}

/** The parsed, checked entry; undefined when the model has none. */
export function readHyperMeta(raw: string | undefined): HyperMeta | undefined {
  if (raw === undefined || raw === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return bad(`${HYPER_META_KEY} is not valid JSON`);
  }
  const m = v as Record<string, unknown>;
  if (typeof m !== 'object' || m === null) return bad(`${HYPER_META_KEY} is not an object`);
  if (m.format === 1) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `hyper: the model was written by an older mc (${HYPER_META_KEY} format 1), which this one does not read`,
      {
        hint: 'compress the dense model again with this mc, or decompress it with the mc that wrote it',
      },
    );
  }
  if (m.format !== HYPER_META_FORMAT) bad(`${HYPER_META_KEY} has no format ${HYPER_META_FORMAT}`);
  if (m.decode !== 'load' && m.decode !== 'run') bad(`${HYPER_META_KEY}: decode must be load or run`);
  if (!Array.isArray(m.tensors)) bad(`${HYPER_META_KEY} lists no tensors`);
  const tensors = (m.tensors as Record<string, unknown>[]).map((t, i) =>
    checkRecord(typeof t === 'object' && t !== null ? t : {}, i),
  );
  const names = new Set<string>();
  for (const t of tensors) {
    for (const n of [t.name, ...(t.inputs ?? [])]) {
      if (names.has(n)) bad(`${HYPER_META_KEY} names "${n}" twice`);
      names.add(n);
    }
  }
  return { format: HYPER_META_FORMAT, decode: m.decode as DecodeMode, tensors };
}

/** The codec's view of a record, with the packed bytes read from the graph. */
export function encodedFrom(r: TensorRecord, bytes: Uint8Array): HyperEncodedTensor {
  const numel = r.shape.reduce((a, b) => a * b, 1);
  const pairs = Math.ceil(numel / 2);
  return {
    kind: 'hyper',
    name: r.name,
    numel,
    pairs,
    pad: (numel % 2) as 0 | 1,
    nIndex: 0,
    n: r.n,
    K: r.K,
    l: r.l,
    cx: Math.fround(r.c[0]),
    cy: Math.fround(r.c[1]),
    fx: Math.fround(r.f[0]),
    fy: Math.fround(r.f[1]),
    bits: r.bits,
    nz: frontZeroBits(pairs, r.bits),
    bytes,
    mae: 0,
  };
}

/** Zero bits the reference puts before P indices of `bits` bits to fill whole bytes (spec §5). */
export function frontZeroBits(pairs: number, bits: number): number {
  return (8 - ((pairs * bits) % 8)) % 8;
}
