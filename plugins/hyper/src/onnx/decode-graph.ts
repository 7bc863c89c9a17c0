/**
 * The decode subgraph of one hyper-encoded weight (spec §9.1 packed storage + §9.2 options A and B),
 * built from opset-11 operators that stock onnxruntime runs on CPU:
 *
 *   packed (uint8, the reference's MSB-first bytes + 2 zero guard bytes)
 *   P    = ((len(packed) − 2)·8 − nz) / w          # from Shape(packed): see "decode run" below
 *   o    = Range(0, P, 1)·w + nz ; q = o / 8 ; r = o mod 8
 *   v    = B[q]·65536 + B[q+1]·256 + B[q+2]         # B = Cast<int64>(packed)
 *   idx  = (v / POW2[24 − w − r]) mod 2^w           # valid for w <= 17
 *   pairs = Gather(LUT, idx)                                     # table 'exact' (option A)
 *   pairs = (Gather(T, idx − s·(n+1)) − c)·Gather(S, s) + c      # table 'compact' (option B), s = idx / (n+1)
 *   W    = Reshape(Slice(Reshape(pairs, [-1]), 0, N), shape)
 *
 * Option A: LUT[(n+1)(K+1), 2] is the codec's exact float32 table, so the result equals
 * decodeTensor bit for bit; it costs 8·(n+1)(K+1) bytes. Option B stores T = the float64 codebook
 * cast to float32 [n+1, 2], S_s = 1/factor_s (float64, cast) as [K+1, 1] so that Gather gives a
 * column that broadcasts over the pair, and c = the float32 centre: 8(n+1) + 4(K+1) + 8 bytes plus
 * the int64 n+1. Its float32 Sub/Mul/Add round three times where the codec rounds once, so the
 * weights differ from the exact decode by a few float32 ulps of |w| (spec: ≤ 2.4e-7 measured).
 * With K = 0 the exact table is T itself, so both options write the same (exact) graph.
 * The last node outputs the weight's own name, so its consumers are untouched.
 *
 * Decode modes. `load`: everything above reads initializers only, so onnxruntime's constant folding
 * evaluates it once at session creation and keeps a dense float32 weight. `run`: the packed bytes
 * are also declared as a graph input with a symbolic length (an "overridable initializer");
 * onnxruntime never constant-folds a node that reads a graph input, and the symbolic length keeps
 * Shape(packed) from being folded too, so the whole chain, Range included, runs on every
 * inference and only the packed bytes and the table stay resident.
 */
import { DataType, type NodeProto, type OnnxModel } from '@mc-kit/core';
import type { HyperEncodedTensor } from '../codec/index.js';
import { codebookF32, lookupTable, shellScales } from '../codec/index.js';
import type { DecodeMode, DecodeTablePolicy } from '../options.js';

/** The table a tensor's subgraph looks its indices up in: spec §9.2 option A (exact) or B (compact). */
export type DecodeTable = 'exact' | 'compact';

/** Constants every decode subgraph shares (written once per model). */
export const SHARED = Object.freeze({
  zero: 'hyper_i64_0',
  one: 'hyper_i64_1',
  two: 'hyper_i64_2',
  eight: 'hyper_i64_8',
  b256: 'hyper_i64_256',
  b65536: 'hyper_i64_65536',
  pow2: 'hyper_pow2',
  flat: 'hyper_shape_flat',
});

const SHARED_VALUES: Readonly<Record<keyof typeof SHARED, { dims: number[]; values: number[] }>> = {
  zero: { dims: [], values: [0] },
  one: { dims: [], values: [1] },
  two: { dims: [], values: [2] },
  eight: { dims: [], values: [8] },
  b256: { dims: [], values: [256] },
  b65536: { dims: [], values: [65536] },
  pow2: { dims: [24], values: Array.from({ length: 24 }, (_, i) => 2 ** i) },
  flat: { dims: [1], values: [-1] },
};

/** Bytes of the shared constants (counted once in a model's bits per weight). */
export const SHARED_BYTES = Object.values(SHARED_VALUES).reduce((s, v) => s + 8 * v.values.length, 0);

/** Zero bytes after the packed indices, so the 3-byte window at the last index stays in range. */
export const GUARD_BYTES = 2;

/** What was written for one tensor: everything decompress needs to find and undo it. */
export interface WrittenTensor {
  readonly table: DecodeTable;
  readonly packed: string;
  /** exact: the decoded-pair table LUT; compact: the codebook T */
  readonly lut: string;
  /** compact only: the shell scales S [K+1, 1] and the centre c [2] (float32) */
  readonly scales?: string;
  readonly centre?: string;
  /** per-tensor initializers other than packed and lut (scalars, shapes) */
  readonly scalars: string[];
  /** every decode node, in graph order; the last one outputs the weight's name */
  readonly nodes: string[];
  /** stored bytes: packed + guard + tables + per-tensor scalars */
  readonly bytes: number;
}

const i64 = (values: readonly number[]) => BigInt64Array.from(values.map((v) => BigInt(v)));

/** Bytes of the float32 tables (and compact's int64 n+1) for codebook size n and K shells. */
export function tableBytes(table: DecodeTable, n: number, K: number): number {
  if (table === 'exact' || K === 0) return 8 * (n + 1) * (K + 1); // K = 0: LUT = T, the same graph
  return 8 * (n + 1) + 4 * (K + 1) + 8 + 8; // T [n+1, 2], S [K+1, 1], c [2], the int64 n+1
}

/** Per-tensor stored bytes besides the packed indices (what the --target-bpw planner must count). */
export function tableAndScalarBytes(n: number, K: number, rank: number, pad: number, table: DecodeTable = 'exact'): number {
  return tableBytes(table, n, K) + 8 * (4 + rank + 2 * pad) + GUARD_BYTES; // pad: Slice start and end
}

/** Total stored bytes of one encoded tensor as writeDecodeGraph stores it. */
export function storedBytes(enc: HyperEncodedTensor, rank: number, table: DecodeTable = 'exact'): number {
  return enc.bytes.length + tableAndScalarBytes(enc.n, enc.K, rank, enc.pad, table);
}

/**
 * Which table a tensor gets under --decode-table, or null when it is cheaper kept float32 (4N bytes).
 * auto: exact (bit-exact) whenever it is smaller than float32, however much bigger than compact it
 * is (its extra bytes still save against float32, and exactness is worth them); else compact when
 * that is smaller than float32 (a few ulps off, spec §9.2: "option B where the table would cost
 * more than it saves"); else float32. K = 0 is always exact: LUT = T, no extra bytes.
 */
export function chooseDecodeTable(enc: HyperEncodedTensor, rank: number, policy: DecodeTablePolicy): DecodeTable | null {
  const fits = (t: DecodeTable) => storedBytes(enc, rank, t) < 4 * enc.numel;
  if (enc.K === 0 || policy === 'exact') return fits('exact') ? 'exact' : null;
  if (policy === 'compact') return fits('compact') ? 'compact' : null;
  if (fits('exact')) return 'exact';
  return fits('compact') ? 'compact' : null;
}

export function ensureSharedConstants(model: OnnxModel): void {
  for (const [key, name] of Object.entries(SHARED) as [keyof typeof SHARED, string][]) {
    if (model.getInitializer(name)) continue;
    const { dims, values } = SHARED_VALUES[key];
    model.setInitializer(name, DataType.INT64, dims, i64(values));
  }
}

/** Replace float initializer `name` (shape `dims`) by its packed indices and decode subgraph. */
export function writeDecodeGraph(
  model: OnnxModel,
  name: string,
  dims: readonly number[],
  enc: HyperEncodedTensor,
  mode: DecodeMode,
  wanted: DecodeTable = 'exact',
): WrittenTensor {
  const table: DecodeTable = enc.K === 0 ? 'exact' : wanted;
  ensureSharedConstants(model);
  const scalars: string[] = [];
  const nodes: string[] = [];
  const constant = (suffix: string, d: number[], values: number[]) => {
    const n = model.uniqueName(`${name}_hyper_${suffix}`);
    model.setInitializer(n, DataType.INT64, d, i64(values));
    scalars.push(n);
    return n;
  };
  const packed = model.uniqueName(`${name}_hyper_packed`);
  const lut = model.uniqueName(`${name}_hyper_${table === 'exact' ? 'lut' : 'codebook'}`);
  const withGuard = new Uint8Array(enc.bytes.length + GUARD_BYTES);
  withGuard.set(enc.bytes);
  const floats: string[] = [lut];

  model.removeInitializer(name);
  model.setInitializer(packed, DataType.UINT8, [withGuard.length], withGuard);
  let scales: string | undefined;
  let centre: string | undefined;
  if (table === 'exact') {
    model.setInitializer(lut, DataType.FLOAT, [(enc.n + 1) * (enc.K + 1), 2], lookupTable(enc));
  } else {
    const t = compactTables(enc);
    scales = model.uniqueName(`${name}_hyper_scales`);
    centre = model.uniqueName(`${name}_hyper_centre`);
    model.setInitializer(lut, DataType.FLOAT, [enc.n + 1, 2], t.T);
    model.setInitializer(scales, DataType.FLOAT, [enc.K + 1, 1], t.S);
    model.setInitializer(centre, DataType.FLOAT, [2], t.c);
    floats.push(scales, centre);
  }
  const w = constant('bits', [], [enc.bits]);
  const nz = constant('nz', [], [enc.nz]);
  const top = constant('top', [], [24 - enc.bits]);
  const mask = constant('mask', [], [2 ** enc.bits]);
  const shape = constant('shape', [dims.length], [...dims]);
  const end = enc.pad ? constant('numel', [1], [enc.numel]) : undefined;

  let step = 0;
  const built: NodeProto[] = [];
  const op = (opType: string, inputs: string[], attribute: NodeProto['attribute'] = [], output?: string): string => {
    const nodeName = model.uniqueName(`${name}/hyper/${opType}_${step++}`);
    const out = output ?? model.uniqueName(`${name}_hyper_t${step}`);
    built.push({ opType, domain: '', name: nodeName, input: inputs, output: [out], attribute });
    nodes.push(nodeName);
    return out;
  };
  const intAttr = (n: string, i: number) => ({ name: n, type: 2 /* INT */, i });

  const len = op('ReduceMax', [op('Shape', [packed])], [intAttr('keepdims', 0)]);
  const payloadBits = op('Mul', [op('Sub', [len, SHARED.two]), SHARED.eight]);
  const P = op('Div', [op('Sub', [payloadBits, nz]), w]);
  const o = op('Add', [op('Mul', [op('Range', [SHARED.zero, P, SHARED.one]), w]), nz]);
  const q = op('Div', [o, SHARED.eight]);
  const r = op('Mod', [o, SHARED.eight]);
  const B = op('Cast', [packed], [intAttr('to', DataType.INT64)]);
  const b0 = op('Gather', [B, q], [intAttr('axis', 0)]);
  const b1 = op('Gather', [B, op('Add', [q, SHARED.one])], [intAttr('axis', 0)]);
  const b2 = op('Gather', [B, op('Add', [q, SHARED.two])], [intAttr('axis', 0)]);
  const v = op('Add', [op('Add', [op('Mul', [b0, SHARED.b65536]), op('Mul', [b1, SHARED.b256])]), b2]);
  const pw = op('Gather', [SHARED.pow2, op('Sub', [top, r])], [intAttr('axis', 0)]);
  const idx = op('Mod', [op('Div', [v, pw]), mask]);
  let pairs: string;
  if (table === 'exact') {
    pairs = op('Gather', [lut, idx], [intAttr('axis', 0)]);
  } else {
    // int64 Div truncates, = floor for idx >= 0
    const rows = constant('rows', [], [enc.n + 1]);
    const s = op('Div', [idx, rows]);
    const j = op('Sub', [idx, op('Mul', [s, rows])]);
    const point = op('Gather', [lut, j], [intAttr('axis', 0)]); // [P, 2]
    const scale = op('Gather', [scales!, s], [intAttr('axis', 0)]); // [P, 1]
    pairs = op('Add', [op('Mul', [op('Sub', [point, centre!]), scale]), centre!]);
  }
  let flat = op('Reshape', [pairs, SHARED.flat]);
  if (end) flat = op('Slice', [flat, constant('start', [1], [0]), end]);
  op('Reshape', [flat, shape], [], name);
  // addNode puts a node before the first reader of its outputs. Added producer-first, every
  // intermediate node had no reader yet and went to the end of the graph, after the weight's
  // consumer that the last node was put before. Added consumer-first, each one lands before the
  // node that reads it.
  for (const node of built.reverse()) model.addNode(node);

  if (mode === 'run') {
    // An initializer listed as a graph input is overridable, hence never constant-folded (IR >= 4).
    const inputs = (model.proto.graph!.input ??= []);
    inputs.push({ name: packed, type: { tensorType: { elemType: DataType.UINT8, shape: { dim: [{ dimParam: `${packed}_len` }] } } } });
  }
  const bytes = [...floats, ...scalars].reduce((s, n) => s + (model.getInitializer(n)?.byteLength ?? 0), withGuard.length);
  return { table, packed, lut, scales, centre, scalars, nodes, bytes };
}

/** Option B's float32 initializers: T (codebook), S (1/factor_s, shape [K+1, 1]) and c, each cast once from float64. */
export function compactTables(enc: HyperEncodedTensor): { T: Float32Array; S: Float32Array; c: Float32Array } {
  return {
    T: codebookF32(enc.n, enc.l, enc.cx, enc.cy),
    S: Float32Array.from(shellScales(enc)),
    c: Float32Array.from([enc.cx, enc.cy]),
  };
}
