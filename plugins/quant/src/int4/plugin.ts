/**
 * The `int4` compressor: id, parameters and wiring. The work is in rewrite.ts (graph), plan.ts
 * (which encoding), math.ts / fast.ts (numbers) and pack.ts (layouts); the parameters below are
 * the only declaration of the CLI flags (STYLE.md §6).
 */
import {
  ErrorCodes,
  UserError,
  type CompressReport,
  type Compressor,
  type OnnxModel,
  type ParamSpec,
  type Params,
  type RunContext,
} from '@mc-kit/core';
import { dequantizeInt4Weights } from './decompress.js';
import { isPowerOfTwo, type Scheme } from './math.js';
import { quantizeInt4Weights, type Int4Options } from './rewrite.js';
import { SELECTION_PARAMS } from '@mc-kit/core';
import { KEEP_OPSET_PARAM } from '../opset-choice.js';

export const INT4_PARAMS: readonly ParamSpec[] = Object.freeze([
  {
    name: 'scheme',
    type: 'enum',
    options: ['sym', 'asym'],
    default: 'sym',
    description:
      'sym: codes -8..7, scale = max|w|/7 per block, no zero point (MatMulNBits reads 8); asym: codes 0..15 over [min, max] widened to include 0, with a 4-bit zero point per block',
  },
  {
    name: 'block-size',
    type: 'integer',
    min: 16,
    max: 256,
    default: 32,
    description:
      'weights per scale, along the reduction axis (K of a MatMul weight); a power of two. 32: 5.0 bits/weight with float32 scales, 128: 4.25',
  },
  {
    name: 'accuracy-level',
    type: 'integer',
    min: 0,
    max: 4,
    default: 0,
    description:
      "MatMulNBits' accuracy_level, the least precise type onnxruntime may compute in: 0 unset (the activations' own float type: what the dequantized weights give), 1 float32, 2 float16, 3 bfloat16, 4 int8 (activations quantized to int8 per block: fastest on CPU, less exact)",
  },
  {
    name: 'search-scale',
    type: 'boolean',
    default: false,
    description:
      'clip search: per block, try scaling the range by 1.0, 0.95, ..., 0.75 and keep the least squared error (slower; the report says how many blocks were clipped)',
  },
  KEEP_OPSET_PARAM,
  ...SELECTION_PARAMS,
] satisfies ParamSpec[]);

/** Options from parsed params; the checks a ParamSpec cannot express (a power of two) are here. */
export function int4Options(params: Params): Int4Options {
  const blockSize = (params['block-size'] ?? 32) as number;
  if (!isPowerOfTwo(blockSize) || blockSize < 16 || blockSize > 256) {
    throw new UserError(
      ErrorCodes.BAD_PARAM,
      `--method int4: --block-size must be a power of two from 16 to 256 (got ${blockSize})`,
      {
        hint: 'MatMulNBits takes block sizes 16, 32, 64, 128 or 256; 32 is the default, 128 the usual choice for smaller files',
      },
    );
  }
  return {
    scheme: (params.scheme ?? 'sym') as Scheme,
    blockSize,
    accuracyLevel: (params['accuracy-level'] ?? 0) as number,
    searchScale: (params['search-scale'] ?? false) as boolean,
    keepOpset: params['keep-opset'] === true,
    minSize: (params['min-size'] ?? 1024) as number,
    include: (params.include ?? []) as string[],
    exclude: (params.exclude ?? []) as string[],
  };
}

export class Int4Compressor implements Compressor {
  readonly id = 'int4';
  readonly summary =
    'int4 weights, block-wise round to nearest (ties to even): MatMulNBits for MatMul, blocked DequantizeLinear elsewhere';
  readonly params: readonly ParamSpec[] = INT4_PARAMS;
  /** the bits are fixed at 4; the block size sets what the scales cost (4 + 32 / block-size bits per weight) */
  readonly sweepParam = 'block-size';

  async compress(model: OnnxModel, params: Params, ctx: RunContext): Promise<CompressReport> {
    const result = await quantizeInt4Weights(model, int4Options(params), ctx);
    return {
      method: this.id,
      params,
      tensors: result.tensors,
      bitsPerWeight: result.bitsPerWeight,
      notes: result.notes,
    };
  }

  async decompress(model: OnnxModel, ctx: RunContext): Promise<void> {
    await dequantizeInt4Weights(model, ctx);
  }
}
