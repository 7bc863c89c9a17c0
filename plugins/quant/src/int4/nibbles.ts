/**
 * int4 where blocked DequantizeLinear (opset 21) is not available: the reference kernel's codes,
 * two to a byte, unpacked in the graph with integer ops that exist from opset 9, so onnxruntime's
 * constant folding turns them back into the dense weight when the session starts.
 *
 *   B   = Cast<int32>(W_q4n)                      uint8 [R·P/2, 1], the even code in the low nibble
 *   hi  = B / 16 ; lo = B - hi·16                  (Div on non-negative int32 truncates = floors)
 *   q   = Reshape(Concat(lo, hi, axis 1), [R, KB, BS])
 *   W   = Cast<float>(q - zp) · scales             scales [R, KB, 1]; zp 8 (sym) or per block
 *   W   = Reshape(Slice(W as [R, P], 0..dim), ...) back to W's layout (a Transpose for [K, N])
 *
 * R rows of P = KB·BS codes, padded with the zero point: quantizeInt4Ref's own layout, so the codes
 * and scales are the reference's and (q - zp)·scale rounds once in float32, as dequantizeInt4 does
 * (float16 weights: scales stored float16, the result cast to float16 as DequantizeLinear does).
 * Asymmetric zero points are packed the same way (one byte each where their count is odd).
 */
import { DataType, type NodeProto, type OnnxModel, type WeightCandidate as Candidate } from '@mc-kit/core';
import { addDecodeRecord, removeDecode, type DecodeRecord } from '../decode-records.js';
import { encodeFloats, SCALE_DATA_TYPE } from '../grid/float-types.js';
import { dequantizeInt4, SYM_ZERO_POINT, type Int4Blocks } from './math.js';
import { packCodes, unpackCodes } from './pack.js';

/** int32 scalars the nibble decodes share (written once per model; 8 only where a symmetric one reads it). */
export const NIBBLE_SHARED = Object.freeze({ sixteen: 'mc_int4_i32_16', eight: 'mc_int4_i32_8' });

/** Bits of the shared scalars present in the model (counted once in a step's bits per weight). */
export const nibbleSharedBits = (model: OnnxModel): number =>
  Object.values(NIBBLE_SHARED).filter((n) => model.getInitializer(n)).length * 32;

const INT = 2;
const i64 = (values: readonly number[]) => BigInt64Array.from(values, (v) => BigInt(v));

export interface NibbleTensors {
  readonly codes: Uint8Array;
  readonly scales: Float32Array;
  /** absent for sym (zero point 8); packed nibbles, or one byte each when their count is odd */
  readonly zeroPoints?: Uint8Array;
  readonly zeroPointForm: NonNullable<DecodeRecord['zeroPointForm']>;
}

/** The stored tensors for blocks `q` (quantizeInt4's layout). */
export function toNibbles(q: Int4Blocks): NibbleTensors {
  const codes = packCodes(q.codes); // rows × kBlocks·blockSize codes: even, since blockSize is
  if (q.scheme === 'sym') return { codes, scales: q.scales, zeroPointForm: 'symmetric' };
  const even = q.zeroPoints.length % 2 === 0;
  return {
    codes,
    scales: q.scales,
    zeroPoints: even ? packCodes(q.zeroPoints) : q.zeroPoints,
    zeroPointForm: even ? 'nibbles' : 'bytes',
  };
}

/** One weight's decode graph, built node by node in order (added to the model at the end), and what it stores. */
class NibbleGraph {
  readonly nodes: NodeProto[] = [];
  readonly constants: string[] = [];
  /** stored bits of the weight's own initializers */
  bits = 0;

  constructor(
    private readonly model: OnnxModel,
    private readonly name: string,
  ) {}

  /** A new initializer named after the weight; `constant`: a shape or bound (recorded for decompress) */
  init(suffix: string, type: DataType, shape: number[], data: ArrayBufferView, constant = true): string {
    const n = this.model.uniqueName(`${this.name}_${suffix}`);
    this.model.setInitializer(n, type, shape, data);
    this.bits += this.model.getInitializer(n)!.byteLength * 8;
    if (constant) this.constants.push(n);
    return n;
  }

  /** An int32 scalar every nibble decode of the model shares. */
  shared(n: string, v: number): string {
    if (!this.model.getInitializer(n)) this.model.setInitializer(n, DataType.INT32, [], Int32Array.of(v));
    return n;
  }

  op(opType: string, input: string[], attrs: NodeProto['attribute'] = [], output?: string): string {
    const out = output ?? this.model.uniqueName(`${this.name}_int4_${opType.toLowerCase()}`);
    this.nodes.push({
      opType,
      domain: '',
      name: this.model.uniqueName(`${this.name}/int4/${opType}`),
      input,
      output: [out],
      attribute: attrs,
    });
    return out;
  }

  cast(x: string, to: DataType, output?: string): string {
    return this.op('Cast', [x], [{ name: 'to', type: INT, i: to }], output);
  }

  reshape(x: string, shape: number[], output?: string): string {
    return this.op(
      'Reshape',
      [x, this.init(`shape${this.nodes.length}`, DataType.INT64, [shape.length], i64(shape))],
      [],
      output,
    );
  }

  /** packed uint8 [m, 1] -> int32 [2m] codes, low nibble first, shaped `shape` */
  unpack(packed: string, shape: number[]): string {
    const b = this.cast(packed, DataType.INT32);
    const hi = this.op('Div', [b, this.shared(NIBBLE_SHARED.sixteen, 16)]);
    const lo = this.op('Sub', [b, this.op('Mul', [hi, NIBBLE_SHARED.sixteen])]);
    return this.reshape(this.op('Concat', [lo, hi], [{ name: 'axis', type: INT, i: 1 }]), shape);
  }
}

/** The stored tensors: packed codes, scales [R, KB, 1], zero points (asymmetric). */
function storeNibbles(g: NibbleGraph, q: Omit<Int4Blocks, 'codes'>, t: NibbleTensors) {
  const [R, KB] = [q.rows, q.kBlocks];
  const codes = g.init('q4n', DataType.UINT8, [t.codes.length, 1], t.codes, false);
  const scales = g.init('scales', SCALE_DATA_TYPE[q.scaleType], [R, KB, 1], encodeFloats(t.scales, q.scaleType), false);
  const zeroPoints =
    t.zeroPoints &&
    g.init(
      'zp4n',
      DataType.UINT8,
      t.zeroPointForm === 'nibbles' ? [t.zeroPoints.length, 1] : [R, KB, 1],
      t.zeroPoints,
      false,
    );
  return { codes, scales, zeroPoints };
}

/** (q - zp) · scale in float32, [R, KB, BS]. */
function dequantBlocks(
  g: NibbleGraph,
  q: Omit<Int4Blocks, 'codes'>,
  t: NibbleTensors,
  stored: ReturnType<typeof storeNibbles>,
): string {
  const q3 = g.unpack(stored.codes, [q.rows, q.kBlocks, q.blockSize]);
  const zp = !stored.zeroPoints
    ? g.shared(NIBBLE_SHARED.eight, 8)
    : t.zeroPointForm === 'nibbles'
      ? g.unpack(stored.zeroPoints, [q.rows, q.kBlocks, 1])
      : g.cast(stored.zeroPoints, DataType.INT32);
  const s = q.scaleType !== 'float32' ? g.cast(stored.scales, DataType.FLOAT) : stored.scales;
  return g.op('Mul', [g.cast(g.op('Sub', [q3, zp]), DataType.FLOAT), s]);
}

/** [R, KB, BS] -> the weight's own shape: rows (o, i) of the weight seen as [outer, dim, inner], padding sliced off. */
function toWeightLayout(
  g: NibbleGraph,
  x: string,
  q: Omit<Int4Blocks, 'codes'>,
  dims: number[],
  opset: number,
): string {
  const { outer, dim, inner } = q.layout;
  const P = q.kBlocks * q.blockSize;
  let w = g.reshape(x, [q.rows, P]);
  if (P !== dim) {
    w =
      opset >= 10
        ? g.op('Slice', [
            w,
            g.init('starts', DataType.INT64, [1], i64([0])),
            g.init('ends', DataType.INT64, [1], i64([dim])),
            g.init('axes', DataType.INT64, [1], i64([1])),
          ])
        : g.op(
            'Slice',
            [w],
            [
              { name: 'starts', type: 7, ints: [0] },
              { name: 'ends', type: 7, ints: [dim] },
              { name: 'axes', type: 7, ints: [1] },
            ],
          );
  }
  const perm = (p: number[]) => [{ name: 'perm', type: 7, ints: p }];
  if (inner > 1 && outer === 1 && dims.length === 2)
    w = g.op('Transpose', [w], perm([1, 0])); // [N, K] -> [K, N]
  else {
    if (inner > 1) w = g.op('Transpose', [g.reshape(w, [outer, inner, dim])], perm([0, 2, 1]));
    if (inner > 1 || dims.length !== 2 || dims[0] !== q.rows) w = g.reshape(w, dims);
  }
  return w;
}

/**
 * Write `t` and its decode in place of the weight (same name out); returns the stored bits of the
 * tensor's own initializers (codes, scales, zero points, shapes and bounds).
 */
export function applyNibbles(
  model: OnnxModel,
  c: Candidate,
  q: Omit<Int4Blocks, 'codes'>,
  t: NibbleTensors,
  opset: number,
): number {
  const name = c.init.name;
  const dims = [...c.init.dims];
  const g = new NibbleGraph(model, name);
  const stored = storeNibbles(g, q, t);
  model.removeInitializer(name);
  const w = toWeightLayout(g, dequantBlocks(g, q, t, stored), q, dims, opset);
  if (q.scaleType !== 'float32') g.cast(w, SCALE_DATA_TYPE[q.scaleType]);
  g.nodes[g.nodes.length - 1].output = [name]; // the last node gives the weight its own name
  for (const n of [...g.nodes].reverse()) model.addNode(n); // each lands before the first reader of its output

  addDecodeRecord(model, name, {
    method: 'int4',
    form: 'nibbles',
    dims,
    floatType: q.scaleType,
    codes: stored.codes,
    scales: stored.scales,
    zeroPoints: stored.zeroPoints,
    nodes: g.nodes.map((n) => n.name ?? ''),
    constants: g.constants,
    layout: q.layout,
    blockSize: q.blockSize,
    zeroPointForm: t.zeroPointForm,
  });
  return g.bits;
}

/** The dense weight back in place of a nibble decode: dequantizeInt4 of the stored blocks. */
export function restoreNibbles(model: OnnxModel, weight: string, r: DecodeRecord): void {
  const layout = r.layout!;
  const blockSize = r.blockSize!;
  const rows = layout.outer * layout.inner;
  const kBlocks = Math.ceil(layout.dim / blockSize);
  const read = (n: string) => model.getInitializer(n)!.readTyped() as Uint8Array;
  const codes = unpackCodes(read(r.codes), rows * kBlocks * blockSize);
  const zeroPoints =
    r.zeroPointForm === 'nibbles'
      ? unpackCodes(read(r.zeroPoints!), rows * kBlocks)
      : r.zeroPointForm === 'bytes'
        ? read(r.zeroPoints!)
        : new Uint8Array(rows * kBlocks).fill(SYM_ZERO_POINT);
  const scales = model.getInitializer(r.scales)!.readFloat32();
  const scheme = r.zeroPointForm === 'symmetric' ? 'sym' : 'asym';
  const dense = dequantizeInt4(
    { scheme, blockSize, layout, scaleType: r.floatType, rows, kBlocks, codes, scales, zeroPoints, clipped: 0 },
    r.floatType,
  );
  removeDecode(model, r);
  for (const shared of Object.values(NIBBLE_SHARED))
    if (model.getInitializer(shared) && model.consumers(shared).length === 0) model.removeInitializer(shared);
  model.setInitializer(weight, SCALE_DATA_TYPE[r.floatType], r.dims, encodeFloats(dense, r.floatType));
}
