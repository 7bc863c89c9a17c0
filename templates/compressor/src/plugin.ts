/**
 * The compressor: id, parameters, and the graph side of the method. It changes the model only
 * through @mc-kit/core's OnnxModel API (getInitializer / setInitializer; addNode and
 * removeInitializer when a method stores a compact form and inserts the ONNX ops that decode it).
 *
 * REPLACE: the id is what users pass to `mc compress --method`; the params become its flags
 * (`mc list --params` shows them); compress() is your method.
 */
import {
  DataType,
  ErrorCodes,
  UserError,
  throwIfAborted,
  type CompressReport,
  type Compressor,
  type OnnxModel,
  type ParamSpec,
  type Params,
  type RunContext,
  type TensorReport,
} from '@mc-kit/core';
import { maxRelativeChange, roundMantissa } from './math.js';

/** Ops whose second input is a weight matrix or kernel. REPLACE with the weights your method takes. */
const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Conv']);

export const ROUND_WEIGHTS_PARAMS: readonly ParamSpec[] = Object.freeze([
  {
    name: 'mantissa-bits',
    type: 'integer',
    min: 0,
    max: 23,
    default: 7,
    description:
      'explicit mantissa bits kept per float32 weight (7 = bfloat16 precision), round to nearest, ties to even',
  },
] satisfies ParamSpec[]);

/** float32 initializers read as the weight (second input) of a MatMul, Gemm or Conv node. */
export function selectWeights(model: OnnxModel): string[] {
  return model.initializerNames().filter((name) => {
    const init = model.getInitializer(name);
    if (init?.dataType !== DataType.FLOAT) return false;
    return model.consumers(name).some((c) => WEIGHT_OPS.has(c.node.opType ?? '') && c.inputIndex === 1);
  });
}

export class RoundWeightsCompressor implements Compressor {
  readonly id = 'round-weights';
  readonly summary = 'round MatMul/Gemm/Conv float32 weights to fewer mantissa bits (stored as float32)';
  readonly params = ROUND_WEIGHTS_PARAMS;
  /**
   * REPLACE or remove: what `mc sweep --method round-weights --sweep 4,7,10` walks. A function of the
   * parsed params may choose (prune: `(p) => (p.algo === 'channel' ? 'ratio' : 'sparsity')`); without
   * it, a sweep names the parameter (`--sweep mantissa-bits=4,7`).
   */
  readonly sweepParam = 'mantissa-bits';

  async compress(model: OnnxModel, params: Params, ctx: RunContext): Promise<CompressReport> {
    const bits = params['mantissa-bits'] as number;
    const names = selectWeights(model);
    if (names.length === 0) {
      // A user's mistake is a UserError: one line and a hint, exit code 2, never a stack trace.
      throw new UserError(
        ErrorCodes.NOTHING_TO_COMPRESS,
        `${this.id}: the model has no float32 MatMul, Gemm or Conv weights`,
        {
          hint: '`mc inspect MODEL` lists the initializers and the ops that read them',
        },
      );
    }
    const task = ctx.progress.start(this.id, names.length);
    const tensors: TensorReport[] = [];
    let worst = 0;
    for (const name of names) {
      throwIfAborted(ctx.signal); // Ctrl-C stops between tensors; nothing is written on failure
      task.update(`${this.id} ${name}`);
      const init = model.getInitializer(name)!;
      const before = init.readFloat32();
      const after = roundMantissa(before, bits);
      worst = Math.max(worst, maxRelativeChange(before, after));
      model.setInitializer(name, DataType.FLOAT, init.dims, after);
      // Measured, not requested: the weights are still stored as float32.
      tensors.push({
        name,
        action: 'rounded',
        shape: [...init.dims],
        elements: init.elementCount,
        bytesBefore: init.byteLength,
        bytesAfter: init.byteLength,
        bitsPerWeight: 32,
      });
      task.tick();
    }
    task.done(`${this.id}: ${names.length} weights rounded to ${bits} mantissa bits`);
    return {
      method: this.id,
      params,
      tensors,
      bitsPerWeight: 32,
      notes: [
        `largest relative change of a weight: ${worst.toExponential(3)}; weights stay float32, so the file is as large as before`,
      ],
    };
  }
}
