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
export { roundToType, type FloatType } from './grid/float-types.js';
export { gridParams, storedScale, codeOf } from './grid/params.js';
// The bit conversions are core's one codec; the names this package published before stay.
export {
  float32ToFloat16 as toFloat16Bits,
  float16ToFloat32 as fromFloat16Bits,
  float32ToBfloat16 as toBfloat16Bits,
  bfloat16ToFloat32 as fromBfloat16Bits,
} from '@mc-kit/core';
export { quantizeWeights, type Int8Options, type Int8Result, type Granularity } from './int8/rewrite.js';
export { dequantizeWeights } from './int8/decompress.js';
export { Int4Compressor, INT4_PARAMS, int4Options } from './int4/plugin.js';
export {
  quantizeInt4Ref,
  dequantizeInt4,
  blockParams as int4BlockParams,
  CLIP_FACTORS,
  type BlockLayout,
  type Int4Blocks,
  type Int4Options as Int4MathOptions,
} from './int4/math.js';
export { quantizeInt4, quantizeInt4Fast } from './int4/fast.js';
export { quantizeInt4Wasm, quantizeInt4WasmNibbles } from './int4/wasm/rtn.js';
export {
  packMatMulNBits,
  unpackMatMulNBits,
  toBlockedDQ,
  dequantizeBlockedDQ,
  type NBitsTensors,
  type BlockedDQTensors,
} from './int4/pack.js';
export { ORT_CPU_INT4, type Encoding } from './int4/plan.js';
export { quantizeInt4Weights, type Int4Options, type Int4Result } from './int4/rewrite.js';
export { dequantizeInt4Weights } from './int4/decompress.js';
export { GptqCompressor, GPTQ_PARAMS, gptqOptions } from './gptq/plugin.js';
export { gptqQuantize, rtnQuantize, type GptqOptions, type GptqResult, type GroupedCodes } from './gptq/math.js';
export { gridParams as gptqGroupParams } from './grid/params.js';
export { packGptq, unpackGptq, ORT_CPU_NBITS } from './gptq/pack.js';
export { quantizeGptqWeights, type GptqWeightOptions } from './gptq/rewrite.js';
export { dequantizeGptqWeights } from './gptq/decompress.js';
