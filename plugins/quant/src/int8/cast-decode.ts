/**
 * int8's decode below DequantizeLinear's opset (per channel: 13; float16/bfloat16 scales: 19),
 * valid from opset 9: the same codes, scales and zero points as rewrite.ts writes, read by
 *
 *   W = Mul(Cast<float>(W_q) [- Cast<float>(W_zero_point)], W_scale)   [then Cast to W's float type]
 *
 * with the scale shaped [C, 1, ..., 1] so it broadcasts along the channel axis (a scalar per
 * tensor). The difference of two integers below 256 is exact in float32 and the product rounds
 * once, so the values are what math.ts `dequantize` (and DequantizeLinear) give, bit for bit; the
 * final Cast rounds to float16/bfloat16 as DequantizeLinear-19 does. Every input is an
 * initializer, so onnxruntime folds it into a dense weight when the session starts.
 */
import { DataType, type NodeProto, type OnnxModel, type WeightCandidate as Candidate } from '@mc-kit/core';
import { addDecodeRecord, removeDecode, type DecodeRecord } from '../decode-records.js';
import { encodeFloats, FLOAT_BITS, type FloatType } from '../grid/float-types.js';
import { dequantize, type QuantizedTensor } from './math.js';

const FLOAT_DATA_TYPE: Readonly<Record<FloatType, DataType>> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  bfloat16: DataType.BFLOAT16,
};

/** Cast to bfloat16 arrived in opset 13; float32 and float16 decode from 9. */
export const castDecodeOpset = (t: FloatType): number => (t === 'bfloat16' ? 13 : 9);

/** Stored bits: 8 per code, a scale per channel, and a zero point per channel for asym only. */
export function castDecodeBits(q: QuantizedTensor): number {
  return 8 * q.codes.length + (FLOAT_BITS[q.scaleType] + (q.scheme === 'asym' ? 8 : 0)) * q.scales.length;
}

/** Write the codes and the Cast/Mul decode in place of the float initializer (same name out). */
export function applyInt8CastMul(
  model: OnnxModel,
  c: Candidate,
  q: QuantizedTensor,
  codeSuffix = '_q',
  method: 'int8' | 'int4' = 'int8',
): void {
  const name = c.init.name;
  const dims = [...c.init.dims];
  const channelDims = q.axis === undefined ? [] : dims.map((d, i) => (i === q.axis ? d : 1)).slice(q.axis);
  const codeType = q.scheme === 'sym' ? DataType.INT8 : DataType.UINT8;
  const qName = model.uniqueName(`${name}${codeSuffix}`);
  const sName = model.uniqueName(`${name}_scale`);
  const zName = q.scheme === 'asym' ? model.uniqueName(`${name}_zero_point`) : undefined;
  model.removeInitializer(name);
  model.setInitializer(qName, codeType, dims, q.codes);
  model.setInitializer(sName, FLOAT_DATA_TYPE[q.scaleType], channelDims, encodeFloats(q.scales, q.scaleType));
  if (zName) model.setInitializer(zName, codeType, channelDims, q.zeroPoints);

  const nodes: NodeProto[] = [];
  const op = (opType: string, input: string[], output?: string, to?: DataType) => {
    const out = output ?? model.uniqueName(`${name}_int8_${opType.toLowerCase()}`);
    nodes.push({
      opType,
      domain: '',
      name: model.uniqueName(`${name}/int8/${opType}`),
      input,
      output: [out],
      attribute: to === undefined ? [] : [{ name: 'to', type: 2, i: to }],
    });
    return out;
  };
  const wide = q.scaleType !== 'float32';
  let x = op('Cast', [qName], undefined, DataType.FLOAT);
  if (zName) x = op('Sub', [x, op('Cast', [zName], undefined, DataType.FLOAT)]);
  const scale = wide ? op('Cast', [sName], undefined, DataType.FLOAT) : sName;
  const product = op('Mul', [x, scale], wide ? undefined : name);
  if (wide) op('Cast', [product], name, FLOAT_DATA_TYPE[q.scaleType]);
  // addNode places each node before the first reader of its output: add them last to first
  for (const n of [...nodes].reverse()) model.addNode(n);
  addDecodeRecord(model, name, {
    method,
    form: 'cast-mul',
    dims,
    floatType: q.scaleType,
    codes: qName,
    scales: sName,
    zeroPoints: zName,
    nodes: nodes.map((n) => n.name ?? ''),
    constants: [],
    axis: q.axis,
  });
}

/** The dense weight back in place of a Cast/Mul decode (the values it computes, bit for bit). */
export function restoreCastMul(model: OnnxModel, weight: string, r: DecodeRecord): void {
  const codes = model.getInitializer(r.codes)!.readTyped() as Int8Array | Uint8Array;
  const scales = model.getInitializer(r.scales)!.readFloat32();
  const zps = r.zeroPoints
    ? (model.getInitializer(r.zeroPoints)!.readTyped() as Uint8Array)
    : new Uint8Array(scales.length);
  const dense = dequantize(codes, r.dims, scales, zps, r.axis, r.floatType);
  removeDecode(model, r);
  model.setInitializer(weight, FLOAT_DATA_TYPE[r.floatType], r.dims, encodeFloats(dense, r.floatType));
}
