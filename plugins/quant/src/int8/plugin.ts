/**
 * The `int8` compressor: id, parameters and wiring. The work is in rewrite.ts (graph) and math.ts
 * (numbers); the parameters below are the only declaration of the CLI flags (STYLE.md §6).
 */
import {
  typedParams,
  type CompressReport,
  type Compressor,
  type OnnxModel,
  type ParamSpec,
  type Params,
  type RunContext,
} from '@mc-kit/core';
import { dequantizeWeights } from './decompress.js';
import { quantizeWeights } from './rewrite.js';
import { SELECTION_PARAMS } from '@mc-kit/core';
import { KEEP_OPSET_PARAM } from '../opset-choice.js';

export const INT8_PARAMS = Object.freeze([
  {
    name: 'scheme',
    type: 'enum',
    options: ['sym', 'asym'],
    default: 'sym',
    description:
      'sym: int8 codes, scale = max|w|/127, zero point 0; asym: uint8 codes over [min, max] widened to include 0, with a zero point',
  },
  {
    name: 'granularity',
    type: 'enum',
    options: ['channel', 'tensor'],
    default: 'channel',
    description: 'one scale per output channel (MatMul column, Gemm/Conv output, embedding row), or one per tensor',
  },
  KEEP_OPSET_PARAM,
  ...SELECTION_PARAMS,
] as const satisfies readonly ParamSpec[]);

const int8Params = typedParams(INT8_PARAMS);

export class Int8Compressor implements Compressor {
  readonly id = 'int8';
  readonly summary =
    'int8 weights (round to nearest, ties to even) with DequantizeLinear, per output channel by default';
  readonly params: readonly ParamSpec[] = INT8_PARAMS;

  async compress(model: OnnxModel, params: Params, ctx: RunContext): Promise<CompressReport> {
    const p = int8Params(params);
    const options = {
      scheme: p.scheme,
      granularity: p.granularity,
      keepOpset: p['keep-opset'],
      minSize: p['min-size'],
      include: p.include,
      exclude: p.exclude,
    };
    const result = await quantizeWeights(model, options, ctx);
    return {
      method: this.id,
      params,
      tensors: result.tensors,
      bitsPerWeight: result.bitsPerWeight,
      notes: result.notes,
    };
  }

  async decompress(model: OnnxModel, ctx: RunContext): Promise<void> {
    await dequantizeWeights(model, ctx);
  }
}
