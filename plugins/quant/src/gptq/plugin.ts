/**
 * The `gptq` compressor: id, parameters and wiring (spec quantization.md §5). The work is in
 * rewrite.ts (targets, calibration, graph), math.ts (the solver), linalg.ts and pack.ts; the
 * parameters below are the only declaration of its CLI flags (STYLE.md §6). Calibration data comes
 * from the run context (--calib-dataset, --calib-samples, --calib-seqlen on mc compress).
 */
import {
  ErrorCodes,
  SELECTION_PARAMS,
  UserError,
  type CompressReport,
  type Compressor,
  type OnnxModel,
  type ParamSpec,
  type Params,
  type RunContext,
} from '@mc-kit/core';
import type { Scheme } from '../int8/math.js';
import { isPowerOfTwo } from '../int4/math.js';
import { KEEP_OPSET_PARAM } from '../opset-choice.js';
import { dequantizeGptqWeights } from './decompress.js';
import type { GptqBits } from './math.js';
import { quantizeGptqWeights, type GptqWeightOptions } from './rewrite.js';

export const GPTQ_BITS: readonly GptqBits[] = Object.freeze([2, 3, 4, 8] as GptqBits[]);

export const GPTQ_PARAMS: readonly ParamSpec[] = Object.freeze([
  {
    name: 'bits',
    type: 'integer',
    min: 2,
    max: 8,
    default: 4,
    description:
      'bits per code: 2, 4 or 8 (MatMulNBits bits=2/4/8), or 3 (a 3-bit grid stored in the 4-bit form: onnxruntime has no 3-bit kernel)',
  },
  {
    name: 'group-size',
    type: 'integer',
    min: 16,
    max: 256,
    default: 128,
    description:
      "weights per scale along K, the inputs of one output (a power of two; MatMulNBits or DequantizeLinear block_size; a Conv's K is Cin/group·kh·kw). 128 with float32 scales: 4.25 bits/weight at 4 bits",
  },
  {
    name: 'scheme',
    type: 'enum',
    options: ['sym', 'asym'],
    default: 'sym',
    description:
      'sym: codes -2^(b-1)..2^(b-1)-1, scale = max|w| / (2^(b-1) - 1) per group (the int4 RTN grid); asym: 2^b - 1 levels over [min, max] widened to include 0, with a zero point per group',
  },
  {
    name: 'damp',
    type: 'number',
    min: 0,
    max: 1,
    default: 0.01,
    description:
      'fraction of mean(diag H) added to the Hessian diagonal (percdamp); raised 10x, and reported, when H is still singular',
  },
  {
    name: 'act-order',
    type: 'boolean',
    default: false,
    description:
      'quantize input columns by descending H[j][j] (activation order); group scales then come from the weight before the walk (static groups), so no g_idx is stored',
  },
  {
    name: 'sequential',
    type: 'boolean',
    default: true,
    description:
      "calibrate each stage of layers on the output of the layers already quantized (the paper's setting); --no-sequential calibrates every layer on the float model in one pass (faster)",
  },
  {
    name: 'accuracy-level',
    type: 'integer',
    min: 0,
    max: 4,
    default: 0,
    description:
      "MatMulNBits' accuracy_level: 0 computes in the activations' float type (what the dequantized weights give); 4 quantizes activations to int8 (faster on CPU, less exact)",
  },
  KEEP_OPSET_PARAM,
  ...SELECTION_PARAMS,
] satisfies ParamSpec[]);

/** Options from parsed params; the checks a ParamSpec cannot express (allowed bit widths, powers of two). */
export function gptqOptions(params: Params): GptqWeightOptions {
  const bits = (params.bits ?? 4) as number;
  if (!GPTQ_BITS.includes(bits as GptqBits)) {
    throw new UserError(ErrorCodes.BAD_PARAM, `--method gptq: --bits must be 2, 3, 4 or 8 (got ${bits})`, {
      hint: 'onnxruntime runs MatMulNBits with bits 2, 4 and 8; 3-bit codes are stored in the 4-bit form',
    });
  }
  const groupSize = (params['group-size'] ?? 128) as number;
  if (!isPowerOfTwo(groupSize) || groupSize < 16 || groupSize > 256) {
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `--method gptq: --group-size must be a power of two from 16 to 256 (got ${groupSize})`,
      {
        hint: 'MatMulNBits takes block sizes 16, 32, 64, 128 or 256; 128 is the GPTQ default',
      },
    );
  }
  return {
    bits: bits as GptqBits,
    groupSize,
    scheme: (params.scheme ?? 'sym') as Scheme,
    damp: (params.damp ?? 0.01) as number,
    actOrder: (params['act-order'] ?? false) as boolean,
    sequential: (params.sequential ?? true) as boolean,
    accuracyLevel: (params['accuracy-level'] ?? 0) as number,
    keepOpset: params['keep-opset'] as boolean,
    minSize: (params['min-size'] ?? 1024) as number,
    include: (params.include ?? []) as string[],
    exclude: (params.exclude ?? []) as string[],
  };
}

export class GptqCompressor implements Compressor {
  readonly id = 'gptq';
  readonly summary =
    'GPTQ: 2/3/4/8-bit weights solved layer by layer against calibration activations (needs --calib-dataset, text or images); MatMul weights stored as MatMulNBits, Conv and Gemm weights (3/4-bit, along their inputs in im2col order) as int4 stores them';
  readonly params: readonly ParamSpec[] = GPTQ_PARAMS;
  readonly sweepParam = 'bits';

  async compress(model: OnnxModel, params: Params, ctx: RunContext): Promise<CompressReport> {
    const result = await quantizeGptqWeights(model, gptqOptions(params), ctx);
    return {
      method: this.id,
      params,
      tensors: result.tensors,
      bitsPerWeight: result.bitsPerWeight,
      notes: result.notes,
    };
  }

  async decompress(model: OnnxModel, ctx: RunContext): Promise<void> {
    await dequantizeGptqWeights(model, ctx);
  }
}
