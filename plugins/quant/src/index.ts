/** @mc-kit/plugin-quant: weight quantization for mc. */
export { Int8Compressor, INT8_PARAMS } from './int8/plugin.js';
export {
  quantize,
  quantizeSymmetric,
  quantizeAsymmetric,
  quantizeSymmetricPerTensor,
  quantizeAsymmetricPerTensor,
  dequantize,
  dequantizeTensor,
  axisLayout,
  firstNonFinite,
  roundHalfToEven,
  type Scheme,
  type QuantizeOptions,
  type QuantizedTensor,
  type AxisLayout,
} from './int8/math.js';
export { roundToType, toFloat16Bits, fromFloat16Bits, toBfloat16Bits, fromBfloat16Bits, type FloatType } from './int8/float-types.js';
export { quantizeWeights, type Int8Options, type Int8Result, type Granularity } from './int8/rewrite.js';
export { dequantizeWeights } from './int8/decompress.js';
