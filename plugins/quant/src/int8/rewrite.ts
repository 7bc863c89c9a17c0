/**
 * int8 weight quantization of an OnnxModel, through @mc-kit/core's model API only (spec
 * quantization.md §3): each selected weight W becomes `W_q` (int8/uint8, W's shape), `W_scale`,
 * `W_zero_point` and `DequantizeLinear(W_q, W_scale, W_zero_point, axis)` whose output is named W,
 * so consumers are untouched and stock onnxruntime runs the result.
 *
 * Two phases: every weight is quantized in memory first (NaN checks, Ctrl-C) and only then is the
 * graph edited, so a failure leaves the model as it was.
 */
import {
  DataType,
  ErrorCodes,
  UserError,
  throwIfAborted,
  type NodeProto,
  type OnnxModel,
  type RunContext,
  type TensorReport,
} from '@mc-kit/core';
import { encodeFloats, FLOAT_BITS, type FloatType } from './float-types.js';
import { firstNonFinite, quantize, type QuantizedTensor, type Scheme } from './math.js';
import { ensureOpset, MIN_IR_VERSION } from './opset.js';
import { nothingQualifies, selectWeights, skipItemOf, skipSummaryLines, type WeightCandidate as Candidate, type SelectOptions } from '@mc-kit/core';

export type Granularity = 'channel' | 'tensor';

export interface Int8Options extends SelectOptions {
  readonly scheme: Scheme;
  readonly granularity: Granularity;
}

export interface Int8Result {
  readonly tensors: TensorReport[];
  readonly notes: string[];
  readonly bitsPerWeight: number;
}

export const SCALE_DATA_TYPE: Readonly<Record<FloatType, DataType>> = Object.freeze({
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  bfloat16: DataType.BFLOAT16,
});

/** DequantizeLinear: per-axis scales need opset 13; float16/bfloat16 scales (and outputs) need 19. */
const opsetFor = (t: FloatType) => (t === 'float32' ? 13 : 19);

/** Stored bits of one quantized tensor: 8 per code, one scale and one 8-bit zero point per channel. */
export function storedBits(q: QuantizedTensor): number {
  return 8 * q.codes.length + (FLOAT_BITS[q.scaleType] + 8) * q.scales.length;
}

function quantizeCandidate(c: Candidate, opts: Int8Options): QuantizedTensor {
  const w = c.init.readFloat32();
  const bad = firstNonFinite(w);
  if (bad >= 0) {
    throw new UserError(ErrorCodes.BAD_MODEL, `weight ${c.init.name} holds ${w[bad]} at element ${bad}`, {
      hint: 'the model file has non-finite weights; fix or re-export it before compressing',
    });
  }
  return quantize(w, c.init.dims, {
    scheme: opts.scheme,
    axis: opts.granularity === 'channel' ? c.axis : undefined,
    scaleType: c.floatType,
  });
}

/** What int8 takes, for a model where nothing qualifies and no skip reason has a hint of its own. */
export const INT8_SCOPE_HINT = 'int8 quantizes float weights read by MatMul, Gemm, Conv, ConvTranspose, Gather (embeddings) and LSTM/GRU/RNN nodes; this model has none it can take';

/** New opset, and the IR version it needs (onnxruntime does not check that pairing; onnx.checker does). */
export function raiseOpset(model: OnnxModel, version: number): string | undefined {
  model.setOpset('', version);
  const ir = Number(model.proto.irVersion ?? 0);
  const needed = MIN_IR_VERSION[version] ?? 0;
  if (ir >= needed) return undefined;
  model.proto.irVersion = needed; // no OnnxModel method for it: the proto is the documented escape hatch
  return `raised the IR version from ${ir} to ${needed}, which opset ${version} needs`;
}

/**
 * Write one quantized weight into the graph in place of the float initializer. `codeSuffix` names
 * the codes (`<W>_q`); int4's int8 fallback passes `_q8` so each method's decompress finds its own.
 */
export function applyInt8(model: OnnxModel, c: Candidate, q: QuantizedTensor, codeSuffix = '_q'): void {
  const name = c.init.name;
  const dims = [...c.init.dims];
  const perAxis = q.axis !== undefined;
  const qName = model.uniqueName(`${name}${codeSuffix}`);
  const scaleName = model.uniqueName(`${name}_scale`);
  const zpName = model.uniqueName(`${name}_zero_point`);
  const codeType = q.scheme === 'sym' ? DataType.INT8 : DataType.UINT8;
  const channelDims = perAxis ? [q.scales.length] : []; // per tensor: scalars
  model.removeInitializer(name);
  model.setInitializer(qName, codeType, dims, q.codes);
  model.setInitializer(scaleName, SCALE_DATA_TYPE[q.scaleType], channelDims, encodeFloats(q.scales, q.scaleType));
  model.setInitializer(zpName, codeType, channelDims, q.zeroPoints);
  const node: NodeProto = {
    opType: 'DequantizeLinear',
    domain: '',
    name: model.uniqueName(`${name}_DequantizeLinear`),
    input: [qName, scaleName, zpName],
    output: [name],
    attribute: perAxis ? [{ name: 'axis', type: 2 /* INT */, i: q.axis }] : [],
  };
  model.addNode(node);
}

/** Quantize the selected weights of `model` in place. */
export async function quantizeWeights(model: OnnxModel, opts: Int8Options, ctx: RunContext): Promise<Int8Result> {
  const order = new Map(model.initializerNames().map((n, i) => [n, i]));
  const { candidates, skipped } = selectWeights(model, opts);
  if (candidates.length === 0) throw nothingQualifies('int8', skipped.map(skipItemOf), INT8_SCOPE_HINT);
  const required = Math.max(...candidates.map((c) => opsetFor(c.floatType)));
  const why = required === 13 ? 'per-axis DequantizeLinear' : 'DequantizeLinear with float16/bfloat16 scales';
  const upgrade = ensureOpset(model.opset(''), required, model.nodes, why);

  const task = ctx.progress.start('int8', candidates.length);
  const quantized: QuantizedTensor[] = [];
  try {
    for (const c of candidates) {
      throwIfAborted(ctx.signal);
      task.update(`int8 ${c.init.name} (${c.role})`);
      quantized.push(quantizeCandidate(c, opts));
      task.tick();
    }
  } catch (e) {
    task.fail();
    throw e;
  }

  const irNote = upgrade.raise ? raiseOpset(model, required) : undefined;
  const tensors: TensorReport[] = [];
  let bits = 0;
  let weights = 0;
  candidates.forEach((c, i) => {
    const q = quantized[i];
    const bitsAfter = storedBits(q);
    bits += bitsAfter;
    weights += c.init.elementCount;
    tensors.push({
      name: c.init.name,
      action: 'int8',
      shape: [...c.init.dims],
      elements: c.init.elementCount,
      bytesBefore: c.init.byteLength,
      bytesAfter: bitsAfter / 8,
      bitsPerWeight: bitsAfter / c.init.elementCount,
    });
    applyInt8(model, c, q);
  });
  for (const s of skipped) {
    const b = s.init.byteLength;
    tensors.push({ name: s.init.name, action: 'skipped', reason: s.reason, shape: [...s.init.dims], elements: s.init.elementCount, bytesBefore: b, bytesAfter: b });
  }
  tensors.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0)); // the model's own order
  const bitsPerWeight = bits / weights;
  task.done(`int8: ${candidates.length} tensors, ${bitsPerWeight.toFixed(3)} bits/weight`);

  const notes = [
    `${candidates.length} of ${candidates.length + skipped.length} float initializers quantized to int8 (${opts.scheme}, per ${opts.granularity}); ${weights} weights at ${bitsPerWeight.toFixed(4)} bits each`,
  ];
  if (upgrade.note) notes.push(upgrade.note);
  if (irNote) notes.push(irNote);
  notes.push(...skipSummaryLines(skipped.map(skipItemOf), 'left float'));
  return { tensors, notes, bitsPerWeight };
}
