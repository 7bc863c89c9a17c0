/**
 * The decode subgraph of one hyper-encoded weight (spec §9.1 packed storage + §9.2 option A), built
 * from opset-11 operators that stock onnxruntime runs on CPU:
 *
 *   packed (uint8, the reference's MSB-first bytes + 2 zero guard bytes)
 *   P    = ((len(packed) − 2)·8 − nz) / w          # from Shape(packed): see "decode run" below
 *   o    = Range(0, P, 1)·w + nz ; q = o / 8 ; r = o mod 8
 *   v    = B[q]·65536 + B[q+1]·256 + B[q+2]         # B = Cast<int64>(packed)
 *   idx  = (v / POW2[24 − w − r]) mod 2^w           # valid for w <= 17
 *   W    = Reshape(Slice(Reshape(Gather(LUT, idx), [-1]), 0, N), shape)
 *
 * LUT[(n+1)(K+1), 2] is the codec's exact float32 table, so the result equals decodeTensor bit
 * for bit. The last node outputs the weight's own name, so its consumers are untouched.
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
import { lookupTable } from '../codec/index.js';
import type { DecodeMode } from '../options.js';

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
  readonly packed: string;
  readonly lut: string;
  /** per-tensor initializers other than packed and lut (scalars, shapes) */
  readonly scalars: string[];
  /** every decode node, in graph order; the last one outputs the weight's name */
  readonly nodes: string[];
  /** stored bytes: packed + guard + table + per-tensor scalars */
  readonly bytes: number;
}

const i64 = (values: readonly number[]) => BigInt64Array.from(values.map((v) => BigInt(v)));

/** Per-tensor stored bytes besides the packed indices (what the --target-bpw planner must count). */
export function tableAndScalarBytes(n: number, K: number, rank: number, pad: number): number {
  return 8 * (n + 1) * (K + 1) + 8 * (4 + rank + 2 * pad) + GUARD_BYTES; // pad: Slice start and end
}

/** Total stored bytes of one encoded tensor as writeDecodeGraph stores it. */
export function storedBytes(enc: HyperEncodedTensor, rank: number): number {
  return enc.bytes.length + tableAndScalarBytes(enc.n, enc.K, rank, enc.pad);
}

export function ensureSharedConstants(model: OnnxModel): void {
  for (const [key, name] of Object.entries(SHARED) as [keyof typeof SHARED, string][]) {
    if (model.getInitializer(name)) continue;
    const { dims, values } = SHARED_VALUES[key];
    model.setInitializer(name, DataType.INT64, dims, i64(values));
  }
}

/** Replace float initializer `name` (shape `dims`) by its packed indices and decode subgraph. */
export function writeDecodeGraph(model: OnnxModel, name: string, dims: readonly number[], enc: HyperEncodedTensor, mode: DecodeMode): WrittenTensor {
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
  const lut = model.uniqueName(`${name}_hyper_lut`);
  const withGuard = new Uint8Array(enc.bytes.length + GUARD_BYTES);
  withGuard.set(enc.bytes);
  const rows = (enc.n + 1) * (enc.K + 1);

  model.removeInitializer(name);
  model.setInitializer(packed, DataType.UINT8, [withGuard.length], withGuard);
  model.setInitializer(lut, DataType.FLOAT, [rows, 2], lookupTable(enc));
  const w = constant('bits', [], [enc.bits]);
  const nz = constant('nz', [], [enc.nz]);
  const top = constant('top', [], [24 - enc.bits]);
  const mask = constant('mask', [], [2 ** enc.bits]);
  const shape = constant('shape', [dims.length], [...dims]);
  const end = enc.pad ? constant('numel', [1], [enc.numel]) : undefined;

  let step = 0;
  const op = (opType: string, inputs: string[], attribute: NodeProto['attribute'] = [], output?: string): string => {
    const nodeName = model.uniqueName(`${name}/hyper/${opType}_${step++}`);
    const out = output ?? model.uniqueName(`${name}_hyper_t${step}`);
    model.addNode({ opType, domain: '', name: nodeName, input: inputs, output: [out], attribute });
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
  let flat = op('Reshape', [op('Gather', [lut, idx], [intAttr('axis', 0)]), SHARED.flat]);
  if (end) flat = op('Slice', [flat, constant('start', [1], [0]), end]);
  op('Reshape', [flat, shape], [], name);

  if (mode === 'run') {
    // An initializer listed as a graph input is overridable, hence never constant-folded (IR >= 4).
    const inputs = (model.proto.graph!.input ??= []);
    inputs.push({ name: packed, type: { tensorType: { elemType: DataType.UINT8, shape: { dim: [{ dimParam: `${packed}_len` }] } } } });
  }
  const scalarBytes = scalars.reduce((s, n) => s + 8 * (model.getInitializer(n)?.elementCount ?? 0), 0);
  return { packed, lut, scalars, nodes, bytes: withGuard.length + 8 * rows + scalarBytes }; // LUT: rows × 2 float32
}
