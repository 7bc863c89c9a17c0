/**
 * The `mc.hyper` metadata_props entry: per-tensor side info (spec §5.1: pad, n, K, c, farthest
 * point, plus l, index width and front zero bits) and the names of what the decode subgraph wrote,
 * so `mc decompress` can check the graph against it and undo exactly that. Parsing validates every
 * field: a tampered entry is the user's bad model, one line, never a crash.
 */
import { ErrorCodes, UserError } from '@mc-kit/core';
import type { HyperEncodedTensor } from '../codec/index.js';
import type { DecodeMode } from '../options.js';
import type { DecodeTable } from './decode-graph.js';

export const HYPER_META_KEY = 'mc.hyper';
export const HYPER_META_FORMAT = 1;

/** The encoder's side info of one tensor (same names and meanings), and what its decode graph wrote. */
export interface TensorRecord extends Pick<HyperEncodedTensor, 'name' | 'numel' | 'pad' | 'n' | 'K' | 'l' | 'cx' | 'cy' | 'fx' | 'fy' | 'bits' | 'nz' | 'mae'> {
  readonly shape: number[];
  /** stored bits per weight of this tensor (indices + side info + table) */
  readonly bpw: number;
  /**
   * Spec §9.2 option: 'exact' (A, a table of decoded pairs, named by `lut`) or 'compact' (B: the
   * codebook T named by `lut`, plus `scales` and `centre`). Absent in files written before option
   * B existed: exact.
   */
  readonly table?: DecodeTable;
  readonly packed: string;
  readonly lut: string;
  readonly scales?: string;
  readonly centre?: string;
  readonly scalars: string[];
  readonly nodes: string[];
}

export interface HyperMeta {
  readonly format: number;
  readonly decode: DecodeMode;
  readonly tensors: TensorRecord[];
}

const bad = (what: string): never => {
  throw new UserError(ErrorCodes.BAD_MODEL, `hyper: malformed model: ${what}`, {
    hint: 'the mc.hyper metadata or the initializers it names were changed after mc compress --method hyper; compress the dense model again',
  });
};

const isInt = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isNames = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string' && s !== '');

function checkRecord(t: Record<string, unknown>, i: number): TensorRecord {
  const where = typeof t.name === 'string' ? `tensor "${t.name}"` : `tensor #${i}`;
  if (typeof t.name !== 'string' || t.name === '') bad(`${where} has no name`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => isInt(d, 0, 2 ** 40))) bad(`${where}: bad shape`);
  const numel = (t.shape as number[]).reduce((a, b) => a * b, 1);
  if (t.numel !== numel) bad(`${where}: numel ${String(t.numel)} does not match shape [${String(t.shape)}]`);
  if (t.pad !== numel % 2) bad(`${where}: pad ${String(t.pad)} does not match ${numel} elements`);
  if (!isInt(t.n, 1, 2 ** 17) || !isInt(t.K, 0, 255) || !isInt(t.bits, 1, 17) || !isInt(t.nz, 0, 7)) bad(`${where}: n, K, bits or nz out of range`);
  if ((((Math.ceil(numel / 2) * (t.bits as number)) + (t.nz as number)) % 8) !== 0) bad(`${where}: nz ${String(t.nz)} does not align ${String(t.bits)}-bit indices`);
  if (!isNum(t.l) || (t.l as number) <= 0) bad(`${where}: l must be a positive number`);
  for (const k of ['cx', 'cy', 'fx', 'fy', 'mae', 'bpw'] as const) if (!isNum(t[k])) bad(`${where}: ${k} is not a finite number`);
  if (typeof t.packed !== 'string' || typeof t.lut !== 'string' || !isNames(t.scalars) || !isNames(t.nodes) || (t.nodes as string[]).length === 0) bad(`${where}: missing initializer or node names`);
  if (t.table !== undefined && t.table !== 'exact' && t.table !== 'compact') bad(`${where}: table must be exact or compact`);
  if (t.table === 'compact' && (typeof t.scales !== 'string' || typeof t.centre !== 'string' || t.K === 0)) bad(`${where}: a compact table needs K >= 1 and its scales and centre names`);
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
  if (typeof m !== 'object' || m === null || m.format !== HYPER_META_FORMAT) bad(`${HYPER_META_KEY} has no format ${HYPER_META_FORMAT}`);
  if (m.decode !== 'load' && m.decode !== 'run') bad(`${HYPER_META_KEY}: decode must be load or run`);
  if (!Array.isArray(m.tensors)) bad(`${HYPER_META_KEY} lists no tensors`);
  const tensors = (m.tensors as Record<string, unknown>[]).map((t, i) => checkRecord(typeof t === 'object' && t !== null ? t : {}, i));
  return { format: HYPER_META_FORMAT, decode: m.decode as DecodeMode, tensors };
}

/** The codec's view of a record, with the packed bytes read from the graph. */
export function encodedFrom(r: TensorRecord, bytes: Uint8Array): HyperEncodedTensor {
  return {
    kind: 'hyper', name: r.name, numel: r.numel, pairs: Math.ceil(r.numel / 2), pad: r.pad, nIndex: 0, n: r.n, K: r.K, l: r.l,
    cx: r.cx, cy: r.cy, fx: r.fx, fy: r.fy, bits: r.bits, nz: r.nz, bytes, mae: r.mae,
  };
}
