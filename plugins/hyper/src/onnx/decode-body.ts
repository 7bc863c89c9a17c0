/**
 * The decode program of one hyper-encoded weight (spec §9.1 packed storage, §9.2 options A and B),
 * as lists of ONNX nodes over local names, valid at the model's own default-domain opset (9 and
 * up): `Indices(packed, header) -> idx` unpacks, and `Decode` / `DecodeCompact` call it, look the
 * indices up and give the weight its shape. decode-graph.ts writes them once per model as
 * model-local functions that every tensor calls, or, where the IR cannot carry functions, the
 * flattened nodes once per tensor.
 *
 * Formal inputs: `packed` (uint8: the reference's MSB-first index bytes + 2 zero guard bytes),
 * `header` (int64 [bits, nz, numel, ...shape]) and the table: `table` (exact: the (n+1)(K+1)
 * decoded pairs) or `codebook`, `scales`, `centre` (compact). Formal output: `weight`.
 *
 * Unpacking the indices, by opset:
 *  - 11 and up (Range):  o = Range(0, P)·w + nz; v = B[o/8]·65536 + B[o/8+1]·256 + B[o/8+2];
 *    idx = (v / 2^(24 − w − o mod 8)) mod 2^w. P comes from Shape(packed), so that with
 *    `--decode run` (packed a graph input of symbolic length) nothing of it is constant-folded.
 *  - 9 and 10: no Range (11), no CumSum (11), and onnxruntime never constant-folds NonZero or
 *    Compress, so a ramp built from them would decode on every run. Instead every byte is split
 *    into its 8 bits ((B / 2^k) mod 2, mod as integer Div/Mul/Sub: Mod is opset 10), the bit
 *    stream gets 8w − nz leading zeros (8 whole zero indices, so the front padding needs no
 *    dynamic slice), is reshaped to rows of w bits, left-padded with zero columns to 18 and summed
 *    against 2^17..2^0; the 8 leading rows go. Its intermediates hold 18 int64 per index, so it
 *    costs more memory while folding than the Range form.
 * Table lookup: exact `Gather(table, idx)`; compact `(Gather(codebook, j) − c)·Gather(scales, s) + c`
 * with s = idx / (n+1), j = idx − s·(n+1), n+1 read from Shape(codebook).
 * Dropping the pad value of an odd element count: Slice to `numel` (inputs from opset 10); at
 * opset 9 Slice takes only constant attributes, so odd tensors get their own body (`odd`), which
 * drops the last value.
 *
 * Constants are Constant nodes (a function has no initializers; written inline, they become
 * initializers shared by every tensor); every integer op is int64, and each op used exists with
 * these semantics from opset 9 (Unsqueeze and ReduceSum only below 11, where their axes are still
 * attributes).
 */
import { DataType, makeTensor, type NodeProto } from '@mc-kit/core';
import type { DecodeTable } from './decode-tables.js';

/** The oldest default-domain opset the decode body is written for. */
export const MIN_DECODE_OPSET = 9;

/** Past the end of any axis: Slice clamps it. */
const END = 2 ** 31 - 1;

/** The domain of hyper's model-local decode functions. */
export const FUNCTION_DOMAIN = 'mc.hyper';

export interface DecodeBody {
  /** op type of the model-local function (unique per variant) */
  readonly name: string;
  readonly inputs: readonly string[];
  readonly output: string;
  /** in topological order; inputs and outputs are local names */
  readonly nodes: readonly NodeProto[];
  /** bytes of its own Constant tensors (stored once per model: in its function, or as shared initializers inline) */
  readonly constantBytes: number;
  /** the bodies its nodes call (domain FUNCTION_DOMAIN, op type = their name) */
  readonly calls: readonly DecodeBody[];
}

/** Which body a tensor needs: its table, the model's opset, and (opset 9 only) whether N is odd. */
export interface BodyVariant {
  readonly table: DecodeTable;
  readonly opset: number;
  readonly odd: boolean;
}

export const TABLE_INPUTS: Readonly<Record<DecodeTable, readonly string[]>> = {
  exact: ['table'],
  compact: ['codebook', 'scales', 'centre'],
};

const INT = 2;
const INTS = 7;
const TENSOR = 4;

/** Builds a body: one output name per node (t0, t1, ...), constants shared by value. */
class BodyWriter {
  readonly nodes: NodeProto[] = [];
  constantBytes = 0;
  private next = 0;
  private readonly constants = new Map<string, string>();

  constructor(readonly opset: number) {}

  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, number | number[]> = {},
    output?: string,
    domain = '',
  ): string {
    const out = output ?? `t${this.next++}`;
    const attribute = Object.entries(attrs).map(([name, v]) =>
      Array.isArray(v) ? { name, type: INTS, ints: v } : { name, type: INT, i: v },
    );
    this.nodes.push({ opType, domain, input: inputs, output: [out], attribute });
    return out;
  }

  /** An int64 constant; dims default to [] for one value (a scalar), else [values.length]. */
  i64(values: readonly number[], dims: readonly number[] = values.length === 1 ? [] : [values.length]): string {
    const key = `${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const out = `c${this.constants.size}`;
    const t = makeTensor(
      '',
      DataType.INT64,
      dims,
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
    this.nodes.push({
      opType: 'Constant',
      domain: '',
      input: [],
      output: [out],
      attribute: [{ name: 'value', type: TENSOR, t }],
    });
    this.constants.set(key, out);
    this.constantBytes += 8 * values.length;
    return out;
  }

  /** x[start:end] along axis 0, constant bounds: attributes at opset 9, inputs from 10. */
  slice(x: string, start: number, end: number, output?: string): string {
    if (this.opset < 10) return this.op('Slice', [x], { starts: [start], ends: [end], axes: [0] }, output);
    return this.op('Slice', [x, this.i64([start], [1]), this.i64([end], [1])], {}, output);
  }

  /** An int64 tensor of zeros shaped by `shape` (ConstantOfShape's default is float). */
  zeros(shape: string): string {
    const value = makeTensor('', DataType.INT64, [1], new BigInt64Array(1)); // an attribute, like Slice's at opset 9: not counted
    this.nodes.push({
      opType: 'ConstantOfShape',
      domain: '',
      input: [shape],
      output: [`t${this.next}`],
      attribute: [{ name: 'value', type: TENSOR, t: value }],
    });
    return `t${this.next++}`;
  }
}

const axis0 = { axis: 0 };

/** Opset >= 11: per-index byte offsets from a Range. */
function unpackWithRange(b: BodyWriter, bits: string, nz: string): string {
  const [zero, one, two, eight] = [0, 1, 2, 8].map((v) => b.i64([v]));
  const len = b.op('Reshape', [b.op('Shape', ['packed']), b.i64([], [0])]);
  const P = b.op('Div', [b.op('Sub', [b.op('Mul', [b.op('Sub', [len, two]), eight]), nz]), bits]);
  const o = b.op('Add', [b.op('Mul', [b.op('Range', [zero, P, one]), bits]), nz]);
  const q = b.op('Div', [o, eight]);
  const r = b.op('Mod', [o, eight]);
  const B = b.op('Cast', ['packed'], { to: DataType.INT64 });
  const byte = (k: string | null) => b.op('Gather', [B, k === null ? q : b.op('Add', [q, k])], axis0);
  const v = b.op('Add', [
    b.op('Add', [b.op('Mul', [byte(null), b.i64([65536])]), b.op('Mul', [byte(one), b.i64([256])])]),
    byte(two),
  ]);
  const pow2 = b.i64(Array.from({ length: 24 }, (_, i) => 2 ** i));
  const pw = b.op('Gather', [pow2, b.op('Sub', [b.op('Sub', [b.i64([24]), bits]), r])], axis0);
  return b.op('Mod', [b.op('Div', [v, pw]), b.op('Gather', [pow2, bits], axis0)], {}, 'idx');
}

/** Opset 9 and 10: the bytes split into bits, regrouped w at a time (see the file comment). */
function unpackWithBits(b: BodyWriter, bits: string, nz: string): string {
  const two = b.i64([2]);
  const one1 = b.i64([1], [1]);
  const B = b.op('Cast', [b.slice('packed', 0, -2)], { to: DataType.INT64 });
  const M = b.op('Div', [b.op('Unsqueeze', [B], { axes: [1] }), b.i64([128, 64, 32, 16, 8, 4, 2, 1])]); // [bytes, 8]
  const bit = b.op('Sub', [M, b.op('Mul', [b.op('Div', [M, two]), two])]);
  const stream = b.op('Reshape', [bit, b.i64([-1], [1])]); // nz + P·w bits
  const lead = b.zeros(b.op('Reshape', [b.op('Sub', [b.op('Mul', [bits, b.i64([8])]), nz]), one1]));
  const width = b.op('Reshape', [bits, one1]);
  const rows = b.op('Reshape', [
    b.op('Concat', [lead, stream], axis0),
    b.op('Concat', [b.i64([-1], [1]), width], axis0),
  ]); // [P + 8, w]
  const padShape = b.op(
    'Concat',
    [b.slice(b.op('Shape', [rows]), 0, 1), b.op('Sub', [b.i64([18], [1]), width])],
    axis0,
  );
  const full = b.op('Concat', [b.zeros(padShape), rows], { axis: 1 }); // [P + 8, 18]
  const weights = b.i64(Array.from({ length: 18 }, (_, i) => 2 ** (17 - i)));
  const all = b.op('ReduceSum', [b.op('Mul', [full, weights])], { axes: [1], keepdims: 0 });
  return b.slice(all, 8, END, 'idx');
}

/** Indices(packed, header) -> idx: the P unpacked indices, int64. Shared by every decode body of a model. */
export function indicesBody(opset: number): DecodeBody {
  const b = new BodyWriter(opset);
  const bits = b.op('Gather', ['header', b.i64([0])], axis0);
  const nz = b.op('Gather', ['header', b.i64([1])], axis0);
  if (opset >= 11) unpackWithRange(b, bits, nz);
  else unpackWithBits(b, bits, nz);
  return {
    name: 'Indices',
    inputs: ['packed', 'header'],
    output: 'idx',
    nodes: b.nodes,
    constantBytes: b.constantBytes,
    calls: [],
  };
}

/** The decode body for one variant: Indices, the table lookup, the pad dropped, the shape restored. */
export function decodeBody(v: BodyVariant): DecodeBody {
  const indices = indicesBody(v.opset);
  const b = new BodyWriter(v.opset);
  const idx = b.op(indices.name, ['packed', 'header'], {}, undefined, FUNCTION_DOMAIN);
  let pairs: string;
  if (v.table === 'exact') {
    pairs = b.op('Gather', ['table', idx], axis0);
  } else {
    const rows = b.op('Gather', [b.op('Shape', ['codebook']), b.i64([0])], axis0); // n + 1
    const s = b.op('Div', [idx, rows]); // int64 Div truncates: floor for idx >= 0
    const j = b.op('Sub', [idx, b.op('Mul', [s, rows])]);
    const point = b.op('Gather', ['codebook', j], axis0); // [P, 2]
    const scale = b.op('Gather', ['scales', s], axis0); // [P, 1]
    pairs = b.op('Add', [b.op('Mul', [b.op('Sub', [point, 'centre']), scale]), 'centre']);
  }
  let flat = b.op('Reshape', [pairs, b.i64([-1], [1])]);
  if (v.opset >= 10) flat = b.op('Slice', [flat, b.i64([0], [1]), b.slice('header', 2, 3)]);
  else if (v.odd) flat = b.slice(flat, 0, -1);
  b.op('Reshape', [flat, b.slice('header', 3, END)], {}, 'weight');
  return {
    name: bodyName(v),
    inputs: ['packed', 'header', ...TABLE_INPUTS[v.table]],
    output: 'weight',
    nodes: b.nodes,
    constantBytes: b.constantBytes,
    calls: [indices],
  };
}

/** The function's op type, one per body a model can hold (a model has one opset): Decode, DecodeCompact, and at opset 9 their Odd forms. */
export function bodyName(v: BodyVariant): string {
  return `Decode${v.table === 'compact' ? 'Compact' : ''}${v.opset < 10 && v.odd ? 'Odd' : ''}`;
}

/** Every body `body` needs as a function, itself last (callees before callers). */
export function functionsOf(body: DecodeBody): DecodeBody[] {
  return [...body.calls.flatMap(functionsOf), body];
}

/**
 * The body as plain nodes: each call of another body replaced by that body's nodes, its formal
 * inputs and output bound to the call's, its own locals prefixed (so they cannot clash).
 */
export function flatten(body: DecodeBody, prefix = ''): NodeProto[] {
  const local = (name: string) => (body.inputs.includes(name) || name === body.output ? name : `${prefix}${name}`);
  const out: NodeProto[] = [];
  for (const node of body.nodes) {
    const callee = node.domain === FUNCTION_DOMAIN ? body.calls.find((c) => c.name === node.opType) : undefined;
    if (!callee) {
      out.push({
        ...node,
        input: (node.input ?? []).map((n) => (prefix ? local(n) : n)),
        output: (node.output ?? []).map((n) => (prefix ? local(n) : n)),
      });
      continue;
    }
    const bind = new Map<string, string>(callee.inputs.map((f, i) => [f, local(node.input![i])]));
    bind.set(callee.output, local(node.output![0]));
    for (const inner of flatten(callee, `${prefix}${callee.name}.`)) {
      out.push({
        ...inner,
        input: (inner.input ?? []).map((n) => bind.get(n) ?? n),
        output: (inner.output ?? []).map((n) => bind.get(n) ?? n),
      });
    }
  }
  return out;
}

/** Bytes of the Constant tensors of a body and what it calls, each body counted once. */
export function constantBytes(bodies: readonly DecodeBody[]): number {
  const seen = new Map<string, number>();
  for (const b of bodies.flatMap(functionsOf)) seen.set(b.name, b.constantBytes);
  return [...seen.values()].reduce((a, c) => a + c, 0);
}
