/**
 * The `hyper` compressor (hyperfunction compression, Fan et al., arXiv 2409.00592): id, parameters
 * and wiring. The codec is in codec/, the graph edit in rewrite.ts and onnx/, the inverse in
 * decompress.ts; the parameters below are the only declaration of the CLI flags (STYLE.md §6).
 */
import {
  SELECTION_PARAMS,
  type CompressReport,
  type Compressor,
  type OnnxModel,
  type ParamSpec,
  type Params,
  type RunContext,
} from '@mc-kit/core';
import { PRESET_NAMES } from './codec/index.js';
import { hyperDecompressWeights } from './decompress.js';
import { hyperOptions } from './options.js';
import { hyperCompressWeights } from './rewrite.js';

export const HYPER_PARAMS: readonly ParamSpec[] = Object.freeze([
  {
    name: 'preset',
    type: 'enum',
    options: [...PRESET_NAMES],
    default: 'unet',
    description:
      'reference settings (spec §6.1): unet l=0.1 n=225 M=3; mobilenet l=0.8 n=1600 M=4; llm l=0.1 n=1600 M=3 with tensors over MAE 0.006 kept float32. --l/--n/--m/--max-mae override single fields',
  },
  {
    name: 'l',
    type: 'string',
    description:
      "side of the square around each tensor's centre, in weight units (a positive number), or 'auto' to choose it per tensor from its distribution",
  },
  {
    name: 'n',
    type: 'string[]',
    default: [],
    description:
      'codebook sizes U to try in order (one or more, e.g. 225 or 225,1600): the first whose error is <= 1e-3 is kept, else the last',
  },
  {
    name: 'm',
    type: 'integer',
    min: 1,
    max: 255,
    description: 'maximum number of radial shells M for points outside the square',
  },
  {
    name: 'max-mae',
    type: 'number',
    min: 0,
    description: 'keep a tensor float32 when its mean |decoded − w| exceeds this (the llm preset uses 0.006)',
  },
  {
    name: 'target-bpw',
    type: 'number',
    min: 0.5,
    max: 32,
    description:
      'plan n, l and shells per tensor to reach this average bits/weight (tables and side info counted) with the least relative error (√numel-weighted MAE / mean|w|; tensors under 0.5% of the weights stay float32); overrides the preset',
  },
  {
    name: 'decode',
    type: 'enum',
    options: ['load', 'run'],
    default: 'load',
    description:
      'load: onnxruntime folds the decode once when the session starts (small file, dense speed and memory); run: weights stay packed in memory and are decoded on every inference',
  },
  {
    name: 'decode-table',
    type: 'enum',
    options: ['auto', 'exact', 'compact'],
    default: 'auto',
    description:
      'exact: a float32 table of every decoded pair, (n+1)(K+1) rows, bit-exact (spec §9.2 A); compact: the n+1 codebook points and K+1 shell scales combined in float32, a few ulps off the exact decode (§9.2 B); auto: exact when it costs less than float32, else compact when that does, else float32',
  },
  {
    name: 'vectors',
    type: 'boolean',
    default: true,
    description:
      'also encode biases and norm scales/shifts, as the reference does (every parameter); --no-vectors keeps them float32 and out of the bits-per-weight average',
  },
  ...SELECTION_PARAMS.map((p) =>
    p.name === 'min-size'
      ? {
          ...p,
          default: 10,
          description: 'tensors with fewer elements stay float32 (the reference compresses every tensor with >= 10)',
        }
      : p,
  ),
] satisfies ParamSpec[]);

export class HyperCompressor implements Compressor {
  readonly id = 'hyper';
  readonly summary =
    'hyperfunction compression: weight pairs as indices into an ergodic-winding codebook, decoded in the graph by an exact lookup table (or a compact codebook + shell scales where the exact table costs more than it saves)';
  readonly params: readonly ParamSpec[] = HYPER_PARAMS;
  /** the rate: a sweep plans each point to an average bits per weight */
  readonly sweepParam = 'target-bpw';

  async compress(model: OnnxModel, params: Params, ctx: RunContext): Promise<CompressReport> {
    const result = await hyperCompressWeights(model, hyperOptions(params), ctx);
    return {
      method: this.id,
      params,
      tensors: result.tensors,
      bitsPerWeight: result.bitsPerWeight,
      notes: result.notes,
    };
  }

  async decompress(model: OnnxModel, ctx: RunContext): Promise<void> {
    await hyperDecompressWeights(model, ctx);
  }
}
