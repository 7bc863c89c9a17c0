/**
 * int4 weight quantization of an OnnxModel, through @mc-kit/core's model API only (spec
 * quantization.md §3). plan.ts picks each weight's encoding; this file quantizes and edits:
 *
 * - MatMulNBits: `MatMul(A, W)` becomes `com.microsoft.MatMulNBits(A, W_q4, W_scales[, W_zp])`
 *   (same node name, same output) with K, N, bits 4, block_size and accuracy_level.
 * - DequantizeLinear-21: `W_q4` (int4, or uint4 with `W_zp`), `W_scales`, and a DequantizeLinear
 *   (axis, block_size) whose output is named W, so readers are untouched; a Conv weight is stored
 *   flattened to [M, C·k...] and a Reshape (`W_shape`) gives back W.
 * - nibbles, below opset 21 (nibbles.ts): `W_q4n` (the codes, two per byte), `W_scales` and integer
 *   ops that unpack them to W. The model is first raised to 21 where core's verified upgrade
 *   allows (opset-choice.ts; never with --keep-opset).
 * - int8 fallback (bfloat16): int8's per-channel decode over `W_q8`, `W_scale`, `W_zero_point`.
 *
 * Two phases, as int8: every weight is quantized in memory first (NaN checks, Ctrl-C), and only
 * then is the graph edited, so a failure leaves the model as it was.
 */
import {
  DataType,
  ErrorCodes,
  initializerOrder,
  packInt4,
  rewriteTensors,
  skippedTensorRow,
  UserError,
  type NodeProto,
  type OnnxModel,
  type RunContext,
  type TensorReport,
} from '@mc-kit/core';
import { encodeFloats, FLOAT_BITS, SCALE_DATA_TYPE, type FloatType } from '../grid/float-types.js';
import { firstNonFinite, quantize, type QuantizedTensor } from '../int8/math.js';
import { writeInt8 } from '../int8/rewrite.js';
import { chooseOpset, type OpsetChoice } from '../opset-choice.js';
import { applyNibbles, nibbleSharedBits, toNibbles, type NibbleTensors } from './nibbles.js';
import {
  nothingQualifies,
  selectWeights,
  skipItemOf,
  skipSummaryLines,
  type SelectOptions,
  type SkippedWeight as Skipped,
} from '@mc-kit/core';
import { MS_DOMAIN } from '../nbits-groups.js';
import { quantizeInt4 } from './fast.js';
import { quantizeInt4WasmNibbles, releaseWasmRtn, wasmRtnApplies } from './wasm/rtn.js';
import type { Int4Blocks, Scheme } from './math.js';
import { nbitsBits, nbitsFromNibbles, packMatMulNBits, toBlockedDQ, type NBitsTensors } from './pack.js';
import { BLOCKED_DQ_OPSET, planEncodings, standardOpset, type Plan } from './plan.js';

export interface Int4Options extends SelectOptions {
  readonly scheme: Scheme;
  /** power of two, 16..256 for MatMulNBits (the plugin checks) */
  readonly blockSize: number;
  /** MatMulNBits accuracy_level: 0 (default) computes in the activations' float type; 4 quantizes activations to int8 */
  readonly accuracyLevel: number;
  readonly searchScale: boolean;
  /** never raise the opset: nibbles below 21 */
  readonly keepOpset?: boolean;
}

export interface Int4Result {
  readonly tensors: TensorReport[];
  readonly notes: string[];
  readonly bitsPerWeight: number;
}

const INT = 2; // AttributeProto.AttributeType.INT
const intAttr = (name: string, i: number) => ({ name, type: INT, i });

/**
 * A weight quantized and laid out, ready to write: int4 tensors are packed as soon as they are made,
 * so phase 1 holds half a byte per weight, not the one byte per code of Int4Blocks.
 */
type Encoded =
  | { kind: 'MatMulNBits'; t: NBitsTensors; scaleType: FloatType; clipped: number }
  | {
      kind: 'DequantizeLinear-21';
      codes: Uint8Array;
      scales: Float32Array;
      zeroPoints?: Uint8Array;
      q: Pick<Int4Blocks, 'kBlocks' | 'blockSize' | 'scaleType' | 'clipped'>;
    }
  | { kind: 'nibbles'; t: NibbleTensors; q: Omit<Int4Blocks, 'codes'> }
  | { kind: 'int8'; q: QuantizedTensor };

function readChecked(p: Plan): Float32Array {
  const w = p.c.init.readFloat32();
  const bad = firstNonFinite(w);
  if (bad >= 0) {
    throw new UserError(ErrorCodes.BAD_MODEL, `weight ${p.c.init.name} holds ${w[bad]} at element ${bad}`, {
      hint: 'the model file has non-finite weights; fix or re-export it before compressing',
    });
  }
  return w;
}

function encode(p: Plan, opts: Int4Options): Encoded {
  const scaleType = p.c.floatType;
  if (p.encoding === 'int8')
    return {
      kind: 'int8',
      q: quantize(readChecked(p), p.c.init.dims, { scheme: opts.scheme, axis: p.c.axis, scaleType }),
    };
  const options = { scheme: opts.scheme, blockSize: opts.blockSize, scaleType, searchScale: opts.searchScale };
  if (p.encoding === 'MatMulNBits' && options.blockSize % 8 === 0 && wasmRtnApplies(options, p.layout)) {
    // straight to MatMulNBits' nibbles: no byte-per-code array, no packing pass
    return {
      kind: 'MatMulNBits',
      t: nbitsFromNibbles(quantizeInt4WasmNibbles(readChecked(p), p.layout, options)),
      scaleType,
      clipped: 0,
    };
  }
  const q = quantizeInt4(readChecked(p), p.layout, options);
  if (p.encoding === 'MatMulNBits')
    return { kind: 'MatMulNBits', t: packMatMulNBits(q), scaleType, clipped: q.clipped };
  if (p.encoding === 'nibbles') {
    const { codes: _unpacked, ...rest } = q; // keep half a byte per weight, not one
    return { kind: 'nibbles', t: toNibbles(q), q: rest };
  }
  const t = toBlockedDQ(q); // int4/uint4 packed two to a byte, as raw_data holds them
  const zeroPoints = t.zeroPoints && packInt4(t.zeroPoints, false);
  return { kind: 'DequantizeLinear-21', codes: packInt4(t.codes, !t.zeroPoints), scales: t.scales, zeroPoints, q };
}

/** MatMulNBits in place of every MatMul reading the weight. */
function applyNBits(
  model: OnnxModel,
  p: Plan,
  e: Extract<Encoded, { kind: 'MatMulNBits' }>,
  accuracyLevel: number,
): void {
  const name = p.c.init.name;
  const t = e.t;
  const bName = model.uniqueName(`${name}_q4`);
  const sName = model.uniqueName(`${name}_scales`);
  const zName = t.zeroPoints ? model.uniqueName(`${name}_zp`) : undefined;
  model.removeInitializer(name);
  model.setInitializer(bName, DataType.UINT8, [t.N, t.kBlocks, t.blockSize / 2], t.B);
  model.setInitializer(sName, SCALE_DATA_TYPE[e.scaleType], [t.scales.length], encodeFloats(t.scales, e.scaleType));
  if (zName && t.zeroPoints) model.setInitializer(zName, DataType.UINT8, [t.zeroPoints.length], t.zeroPoints);
  const attribute = [
    intAttr('K', t.K),
    intAttr('N', t.N),
    intAttr('bits', 4),
    intAttr('block_size', t.blockSize),
    intAttr('accuracy_level', accuracyLevel),
  ];
  for (const node of p.matmuls) {
    const a = node.input?.[0] ?? '';
    model.removeNode(node);
    model.addNode({
      opType: 'MatMulNBits',
      domain: MS_DOMAIN,
      name: node.name,
      input: zName ? [a, bName, sName, zName] : [a, bName, sName],
      output: [...(node.output ?? [])],
      attribute,
    });
  }
}

/** A blocked DequantizeLinear (and a Reshape for a flattened weight) producing the weight's name. */
function applyBlockedDQ(model: OnnxModel, p: Plan, e: Extract<Encoded, { kind: 'DequantizeLinear-21' }>): void {
  const name = p.c.init.name;
  const { q } = e;
  const reshape = p.storedDims.length !== p.c.init.dims.length;
  const qName = model.uniqueName(`${name}_q4`);
  const sName = model.uniqueName(`${name}_scales`);
  const zName = e.zeroPoints ? model.uniqueName(`${name}_zp`) : undefined;
  const scaleDims = p.storedDims.map((d, i) => (i === p.blockAxis ? q.kBlocks : d));
  const dqOut = reshape ? model.uniqueName(`${name}_dq`) : name;
  model.removeInitializer(name);
  model.setInitializer(qName, e.zeroPoints ? DataType.UINT4 : DataType.INT4, p.storedDims, e.codes);
  model.setInitializer(sName, SCALE_DATA_TYPE[q.scaleType], scaleDims, encodeFloats(e.scales, q.scaleType));
  if (zName && e.zeroPoints) model.setInitializer(zName, DataType.UINT4, scaleDims, e.zeroPoints);
  if (reshape) {
    // Added before the DequantizeLinear: addNode places a node before the first reader of its output.
    const shapeName = model.uniqueName(`${name}_shape`);
    model.setInitializer(shapeName, DataType.INT64, [p.c.init.dims.length], BigInt64Array.from(p.c.init.dims, BigInt));
    model.addNode({
      opType: 'Reshape',
      domain: '',
      name: model.uniqueName(`${name}_Reshape`),
      input: [dqOut, shapeName],
      output: [name],
    });
  }
  const node: NodeProto = {
    opType: 'DequantizeLinear',
    domain: '',
    name: model.uniqueName(`${name}_DequantizeLinear`),
    input: zName ? [qName, sName, zName] : [qName, sName],
    output: [dqOut],
    attribute: [intAttr('axis', p.blockAxis), intAttr('block_size', q.blockSize)],
  };
  model.addNode(node);
}

/**
 * Write blocks `q` another method solved (GPTQ on Conv/Gemm) in the form `p.encoding` says
 * (DequantizeLinear-21 or nibbles), exactly as int4 writes its own; returns the stored bits.
 * The model must already be at the opset the plan was made for (chooseOpset's apply).
 */
export function writeInt4Blocks(model: OnnxModel, p: Plan, q: Int4Blocks, opset: number): number {
  if (p.encoding === 'nibbles') {
    const { codes: _unpacked, ...rest } = q;
    return applyNibbles(model, p.c, rest, toNibbles(q), opset); // the int32 scalars the unpacks share: nibbleSharedBits, once per model
  }
  if (p.encoding !== 'DequantizeLinear-21')
    throw new RangeError(`writeInt4Blocks: ${p.c.init.name} is planned as ${p.encoding}`);
  const t = toBlockedDQ(q);
  const e: Extract<Encoded, { kind: 'DequantizeLinear-21' }> = {
    kind: 'DequantizeLinear-21',
    codes: packInt4(t.codes, !t.zeroPoints),
    scales: t.scales,
    zeroPoints: t.zeroPoints && packInt4(t.zeroPoints, false),
    q,
  };
  applyBlockedDQ(model, p, e);
  return storedBitsOf(e) + (p.storedDims.length !== p.c.init.dims.length ? 64 * p.c.init.dims.length : 0); // + the Reshape's int64 shape
}

/** Stored bits (spec §4) of the forms whose size is known before writing: codes, scales and zero points. */
function storedBitsOf(e: Exclude<Encoded, { kind: 'int8' | 'nibbles' }>): number {
  if (e.kind === 'MatMulNBits') return nbitsBits(e.t, e.scaleType);
  return 8 * e.codes.length + FLOAT_BITS[e.q.scaleType] * e.scales.length + 8 * (e.zeroPoints?.length ?? 0); // packed bytes
}

const OPSET_HINT = `the graph's opset is the cause, not the weights: bfloat16 weights need opset 13 to be decoded; convert the model first (mc convert MODEL --opset 13 --out ...)`;
const INT4_SCOPE_HINT =
  'int4 quantizes float weights read by MatMul (as MatMulNBits), Gemm, Conv, ConvTranspose, Gather (embeddings) and LSTM/GRU/RNN nodes; this model has none it can take';

/** Write one encoded weight in its planned form; returns the bits stored. */
function writeOne(model: OnnxModel, p: Plan, e: Encoded, opts: Int4Options, opset: number): number {
  if (e.kind === 'int8') return writeInt8(model, p.c, e.q, p.int8Form!, '_q8', 'int4');
  if (e.kind === 'MatMulNBits') {
    applyNBits(model, p, e, opts.accuracyLevel);
    return storedBitsOf(e);
  }
  if (e.kind === 'nibbles') return applyNibbles(model, p.c, e.q, e.t, opset);
  applyBlockedDQ(model, p, e);
  return storedBitsOf(e) + (p.storedDims.length !== p.c.init.dims.length ? 64 * p.c.init.dims.length : 0); // + the Reshape's int64 shape
}

/** Write every encoded weight; the report rows, stored bits, and the clip search's counts. */
function writeAll(
  model: OnnxModel,
  plans: readonly Plan[],
  encoded: readonly Encoded[],
  opts: Int4Options,
  opset: number,
) {
  const rows: TensorReport[] = [];
  let bits = 0;
  let weights = 0;
  let blocks = 0;
  let clipped = 0;
  plans.forEach((p, i) => {
    const e = encoded[i];
    const stored = writeOne(model, p, e, opts, opset);
    if (e.kind === 'MatMulNBits') {
      blocks += e.t.scales.length;
      clipped += e.clipped;
    } else if (e.kind !== 'int8') {
      blocks += e.kind === 'nibbles' ? e.t.scales.length : e.scales.length;
      clipped += e.q.clipped;
    }
    bits += stored;
    weights += p.c.init.elementCount;
    const elements = p.c.init.elementCount;
    rows.push({
      name: p.c.init.name,
      action: e.kind === 'int8' ? 'int8' : 'int4',
      ...(p.fallback ? { reason: `int8 fallback: ${p.fallback}` } : {}),
      shape: [...p.c.init.dims],
      elements,
      bytesBefore: p.c.init.byteLength,
      bytesAfter: stored / 8,
      bitsPerWeight: stored / elements,
    });
  });
  if (plans.some((p) => p.encoding === 'nibbles')) bits += nibbleSharedBits(model); // the int32 scalars the unpacks share
  return { rows, bits, weights, blocks, clipped };
}

function int4Notes(
  plans: readonly Plan[],
  allSkipped: readonly Skipped[],
  w: ReturnType<typeof writeAll>,
  opts: Int4Options,
  choice: OpsetChoice,
): string[] {
  const bitsPerWeight = w.bits / w.weights;
  const count = (e: Plan['encoding']) => plans.filter((p) => p.encoding === e).length;
  // One line per reason, not per tensor (a conv net at an old opset has dozens of each).
  const fellBack = plans
    .filter((p) => p.encoding === 'int8')
    .map((p) => ({ name: p.c.init.name, elements: p.c.init.elementCount, reason: p.fallback ?? '' }));
  return [
    `${plans.length} of ${plans.length + allSkipped.length} float initializers quantized (int4 ${opts.scheme}, block ${opts.blockSize}): ` +
      `${count('MatMulNBits')} as MatMulNBits (accuracy_level ${opts.accuracyLevel}), ${count('DequantizeLinear-21')} as blocked DequantizeLinear, ${count('nibbles')} as nibbles unpacked at opset ${choice.opset}, ${count('int8')} as int8; ` +
      `${w.weights} weights at ${bitsPerWeight.toFixed(4)} bits each`,
    opts.searchScale
      ? `clip search (--search-scale): ${w.clipped} of ${w.blocks} blocks kept a clip factor below 1`
      : 'clip search: not used',
    ...choice.notes,
    ...skipSummaryLines(fellBack, 'quantized to int8 per channel instead of int4'),
    ...skipSummaryLines(allSkipped.map(skipItemOf), 'left float'),
  ];
}

/** Quantize the selected weights of `model` in place. */
export async function quantizeInt4Weights(model: OnnxModel, opts: Int4Options, ctx: RunContext): Promise<Int4Result> {
  const order = initializerOrder(model);
  const { candidates, skipped } = selectWeights(model, opts);
  // the standard forms' opset first (a verified upgrade runs the model), then the plan at the opset chosen
  const wanted = standardOpset(planEncodings(model, candidates, Infinity).plans);
  const why = wanted === BLOCKED_DQ_OPSET ? 'blocked int4 DequantizeLinear' : "the int8 fallback's DequantizeLinear";
  const choice = await chooseOpset(model, wanted, why, opts.keepOpset ?? false, ctx);
  const { plans, skips } = planEncodings(model, candidates, choice.opset);
  // plan.ts skips a weight only where the opset stands in the way of every form: say so in the hint
  const allSkipped: Skipped[] = [
    ...skipped,
    ...skips.map((s) => ({ init: s.c.init, reason: s.reason, hint: OPSET_HINT })),
  ];
  if (plans.length === 0) throw nothingQualifies('int4', allSkipped.map(skipItemOf), INT4_SCOPE_HINT);

  const step = {
    label: 'int4',
    total: plans.length,
    done: (r: Int4Result) => `int4: ${plans.length} tensors, ${r.bitsPerWeight.toFixed(3)} bits/weight`,
  };
  return rewriteTensors(ctx, step, async (loop) => {
    let encoded: Encoded[];
    try {
      encoded = await loop.each(
        plans,
        (p) => `int4 ${p.c.init.name} (${p.encoding})`,
        (p) => encode(p, opts),
      );
    } finally {
      releaseWasmRtn();
    }
    choice.apply(); // every weight is encoded: the graph may change now
    if (plans.some((p) => p.encoding === 'MatMulNBits') && model.opset(MS_DOMAIN) === undefined)
      model.setOpset(MS_DOMAIN, 1);
    const w = writeAll(model, plans, encoded, opts, choice.opset);
    const tensors = order([...w.rows, ...allSkipped.map((s) => skippedTensorRow(s.init, s.reason))]);
    return { tensors, notes: int4Notes(plans, allSkipped, w, opts, choice), bitsPerWeight: w.bits / w.weights };
  });
}
