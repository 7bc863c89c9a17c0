/**
 * int8 weight quantization of an OnnxModel, through @mc-kit/core's model API only (spec
 * quantization.md §3): each selected weight W becomes `W_q` (int8/uint8, W's shape), `W_scale`,
 * `W_zero_point` and `DequantizeLinear(W_q, W_scale, W_zero_point, axis)` whose output is named W,
 * so consumers are untouched and stock onnxruntime runs the result. DequantizeLinear needs opset
 * 10 per tensor, 13 per channel, 19 with float16/bfloat16 scales; a model below that is raised
 * where core's verified upgrade allows (opset-choice.ts), else decoded at its own opset with
 * Cast and Mul over the same codes (cast-decode.ts).
 *
 * Two phases: every weight is quantized in memory first (NaN checks, Ctrl-C) and only then is the
 * graph edited, so a failure leaves the model as it was.
 */
import {
  DataType,
  ErrorCodes,
  UserError,
  initializerOrder,
  rewriteTensors,
  skippedTensorRow,
  type NodeProto,
  type OnnxModel,
  type RunContext,
  type TensorReport,
} from '@mc-kit/core';
import { encodeFloats, FLOAT_BITS, SCALE_DATA_TYPE, type FloatType } from '../grid/float-types.js';
import { firstNonFinite, quantize, type QuantizedTensor, type Scheme } from './math.js';
import {
  nothingQualifies,
  selectWeights,
  skipItemOf,
  skipSummaryLines,
  type SkippedWeight,
  type WeightCandidate as Candidate,
  type SelectOptions,
} from '@mc-kit/core';
import { chooseOpset, type OpsetChoice } from '../opset-choice.js';
import { applyInt8CastMul, castDecodeBits, castDecodeOpset } from './cast-decode.js';

export type Granularity = 'channel' | 'tensor';

export interface Int8Options extends SelectOptions {
  readonly scheme: Scheme;
  readonly granularity: Granularity;
  /** never raise the opset: decode with Cast and Mul below DequantizeLinear's */
  readonly keepOpset?: boolean;
}

export interface Int8Result {
  readonly tensors: TensorReport[];
  readonly notes: string[];
  readonly bitsPerWeight: number;
}

/** DequantizeLinear: per tensor from opset 10, per-axis scales 13, float16/bfloat16 scales (and outputs) 19. */
export const dqOpset = (t: FloatType, perTensor: boolean): number => (t !== 'float32' ? 19 : perTensor ? 10 : 13);

export type Int8Form = 'DequantizeLinear' | 'cast-mul';

/** How a weight of float type `t` is written at `opset` (undefined: no decode exists there). */
export function int8Form(t: FloatType, perTensor: boolean, opset: number): Int8Form | undefined {
  if (dqOpset(t, perTensor) <= opset) return 'DequantizeLinear';
  return castDecodeOpset(t) <= opset ? 'cast-mul' : undefined;
}

/** Write one quantized weight in the form `int8Form` chose; returns the bits stored. */
export function writeInt8(
  model: OnnxModel,
  c: Candidate,
  q: QuantizedTensor,
  form: Int8Form,
  codeSuffix = '_q',
  method: 'int8' | 'int4' = 'int8',
): number {
  if (form === 'DequantizeLinear') {
    applyInt8(model, c, q, codeSuffix);
    return storedBits(q);
  }
  applyInt8CastMul(model, c, q, codeSuffix, method);
  return castDecodeBits(q);
}

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
export const INT8_SCOPE_HINT =
  'int8 quantizes float weights read by MatMul, Gemm, Conv, ConvTranspose, Gather (embeddings) and LSTM/GRU/RNN nodes; this model has none it can take';

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

/** The candidates int8 can decode at the opset chosen for them (the rest join `skipped`), and that choice. */
async function decodable(
  model: OnnxModel,
  selected: readonly Candidate[],
  skipped: SkippedWeight[],
  opts: Int8Options,
  ctx: RunContext,
): Promise<{ candidates: Candidate[]; choice: OpsetChoice; wanted: number }> {
  const perTensor = opts.granularity === 'tensor';
  const wanted = Math.max(...selected.map((c) => dqOpset(c.floatType, perTensor)));
  const why =
    wanted === 19
      ? 'DequantizeLinear with float16/bfloat16 scales'
      : perTensor
        ? 'DequantizeLinear'
        : 'per-channel DequantizeLinear';
  const choice = await chooseOpset(model, wanted, why, opts.keepOpset ?? false, ctx);
  const candidates: Candidate[] = [];
  for (const c of selected) {
    if (int8Form(c.floatType, perTensor, choice.opset)) candidates.push(c);
    else
      skipped.push({
        init: c.init,
        reason: `${c.floatType} at opset ${choice.opset}: no decode there (Cast to bfloat16 needs opset 13)`,
        cause: `${c.floatType} weights at opset ${choice.opset}: no decode there (Cast to bfloat16 needs opset 13)`,
      });
  }
  if (candidates.length === 0) {
    throw new UserError(ErrorCodes.NOTHING_TO_COMPRESS, `int8: no weight can be decoded at opset ${choice.opset}`, {
      hint: choice.notes.join('; '),
    });
  }
  return { candidates, choice, wanted };
}

/** Write every quantized weight in its form; the report rows, stored bits and count per form. */
function writeAll(
  model: OnnxModel,
  candidates: readonly Candidate[],
  quantized: readonly QuantizedTensor[],
  opts: Int8Options,
  opset: number,
) {
  const perTensor = opts.granularity === 'tensor';
  const rows: TensorReport[] = [];
  let bits = 0;
  let weights = 0;
  const forms: Record<Int8Form, number> = { DequantizeLinear: 0, 'cast-mul': 0 };
  candidates.forEach((c, i) => {
    const form = int8Form(c.floatType, perTensor, opset)!;
    forms[form]++;
    const bitsAfter = writeInt8(model, c, quantized[i], form);
    bits += bitsAfter;
    weights += c.init.elementCount;
    rows.push({
      name: c.init.name,
      action: 'int8',
      shape: [...c.init.dims],
      elements: c.init.elementCount,
      bytesBefore: c.init.byteLength,
      bytesAfter: bitsAfter / 8,
      bitsPerWeight: bitsAfter / c.init.elementCount,
    });
  });
  return { rows, bits, weights, forms };
}

/** Quantize the selected weights of `model` in place. */
export async function quantizeWeights(model: OnnxModel, opts: Int8Options, ctx: RunContext): Promise<Int8Result> {
  const order = initializerOrder(model);
  const selected = selectWeights(model, opts);
  const { skipped } = selected;
  if (selected.candidates.length === 0) throw nothingQualifies('int8', skipped.map(skipItemOf), INT8_SCOPE_HINT);
  const { candidates, choice, wanted } = await decodable(model, selected.candidates, skipped, opts, ctx);
  const step = {
    label: 'int8',
    total: candidates.length,
    done: (r: Int8Result) => `int8: ${candidates.length} tensors, ${r.bitsPerWeight.toFixed(3)} bits/weight`,
  };
  return rewriteTensors(ctx, step, async (loop) => {
    const quantized = await loop.each(
      candidates,
      (c) => `int8 ${c.init.name} (${c.role})`,
      (c) => quantizeCandidate(c, opts),
    );
    choice.apply(); // every weight is quantized: the graph may change now
    const w = writeAll(model, candidates, quantized, opts, choice.opset);
    const tensors = order([...w.rows, ...skipped.map((s) => skippedTensorRow(s.init, s.reason))]);
    const bitsPerWeight = w.bits / w.weights;
    const notes = [
      `${candidates.length} of ${candidates.length + skipped.length} float initializers quantized to int8 (${opts.scheme}, per ${opts.granularity}); ${w.weights} weights at ${bitsPerWeight.toFixed(4)} bits each`,
      ...choice.notes,
    ];
    if (w.forms['cast-mul'] > 0)
      notes.push(
        `${w.forms['cast-mul']} tensor${w.forms['cast-mul'] > 1 ? 's' : ''} decoded with Cast and Mul at opset ${choice.opset} (DequantizeLinear would need ${wanted})`,
      );
    notes.push(...skipSummaryLines(skipped.map(skipItemOf), 'left float'));
    return { tensors, notes, bitsPerWeight };
  });
}
