/**
 * The fused loss head: a pure graph rewrite that turns a decoder's `logits` [B, T, V] into
 * `mc_nll` [B, T] float32, the next-token NLL in nats for targets fed as `mc_targets` [B, T] int64:
 *
 *   mc_nll[b,t] = logsumexp_v logits[b,t,v] - logits[b,t,target[b,t]]
 *
 * built as ReduceLogSumExp(keepdims) - GatherElements(unsqueezed targets), then Squeeze. Unlike
 * LogSoftmax + Gather this never materialises a second [B, T, V] tensor, and with `logits` no longer
 * a graph output onnxruntime does not copy the [B, T, V] block out: a window costs B*T floats of output.
 *
 * onnxruntime's CPU ReduceLogSumExp adds the V exponentials one after another in float32, which
 * for V = 4096 already errs by up to 2.6e-5 nats per token (measured on tiny-stdlib-lm; the error
 * grows with V). When V is a known composite number the sum is therefore taken in two levels: the
 * logits viewed as [B, T, K, V/K] (a Reshape, no copy), a log-sum-exp over each group, then one over
 * the K partial results, with K the divisor of V nearest sqrt(V). That cut the error to 1.5e-6.
 */
import { ErrorCodes, UserError } from '../errors.js';
import { DataType } from '../onnx/dtypes.js';
import type { OnnxModel, ValueInfoProto } from '../onnx/model.js';
import { pb } from '../onnx/proto.js';

export const LOSS_TARGETS = 'mc_targets';
export const LOSS_OUTPUT = 'mc_nll';

export interface LossHeadResult {
  /** the logits tensor the head reads (now an intermediate) */
  readonly logits: string;
  /** graph outputs removed so that only mc_nll is computed and copied out */
  readonly removedOutputs: readonly string[];
}

/** The decoder's logits output: `logits`, else the first output of rank 3. */
export function findLogitsOutput(model: OnnxModel): ValueInfoProto | undefined {
  return model.outputs.find((o) => o.name === 'logits') ?? model.outputs.find((o) => (o.type?.tensorType?.shape?.dim?.length ?? 0) === 3);
}

/**
 * Append the loss head in place. Every other graph output (logits, present.* of a KV export) is
 * dropped from the outputs: scoring needs none of them, and onnxruntime then neither copies them out
 * nor keeps the nodes that only fed them.
 */
export function appendLossHead(model: OnnxModel): LossHeadResult {
  const out = findLogitsOutput(model);
  if (!out?.name) {
    throw new UserError(ErrorCodes.BAD_MODEL, 'not a causal LM: no logits output', { hint: 'the model needs an output named logits, or one of shape [batch, sequence, vocab]' });
  }
  for (const name of [LOSS_TARGETS, LOSS_OUTPUT]) {
    if (model.inputs.some((i) => i.name === name) || model.producer(name)) {
      throw new UserError(ErrorCodes.BAD_MODEL, `the model already has a tensor named ${name}`, { hint: 'it was saved with mc\'s loss head attached; use the model without it' });
    }
  }
  const opset = model.opset() ?? 1;
  if (opset < 11) {
    throw new UserError(ErrorCodes.UNSUPPORTED, `the fused loss head needs opset 11 or later (GatherElements); the model has opset ${opset}`, {
      hint: 'score it through the logits path (lossHead: "logits")',
    });
  }
  const logits = out.name;
  const dims = out.type?.tensorType?.shape?.dim ?? [];
  const [batchDim, seqDim] = [dims[0] ?? {}, dims[1] ?? {}];
  model.inputs.push(valueInfo(LOSS_TARGETS, DataType.INT64, [batchDim, seqDim]));

  const fresh = (base: string) => model.uniqueName(`mc_loss/${base}`);
  const node = (opType: string, inputs: string[], output: string, attrs: Record<string, number | number[]> = {}) => {
    model.addNode(pb.NodeProto.create({
      name: model.uniqueName(`mc_loss/${opType}`), opType, input: inputs, output: [output],
      attribute: Object.entries(attrs).map(([name, v]) =>
        Array.isArray(v) ? { name, type: pb.AttributeProto.AttributeType.INTS, ints: v } : { name, type: pb.AttributeProto.AttributeType.INT, i: v }),
    }));
    return output;
  };
  // Axes moved from attribute to input in Unsqueeze/Squeeze at opset 13, ReduceLogSumExp at 18.
  const axesTensors = new Map<number, string>();
  const withAxes = (opType: string, x: string, output: string, axis: number, since: number, attrs: Record<string, number> = {}) => {
    if (opset < since) return node(opType, [x], output, { ...attrs, axes: [axis] });
    let axes = axesTensors.get(axis);
    if (!axes) {
      axes = fresh(`axes${axis}`);
      model.setInitializer(axes, DataType.INT64, [1], BigInt64Array.of(BigInt(axis)));
      axesTensors.set(axis, axes);
    }
    return node(opType, [x, axes], output, attrs);
  };

  // float32 even for fp16/bf16 logits: a half-precision log-sum-exp over 32k+ values loses digits
  // that BPC's third decimal needs.
  const elem = out.type?.tensorType?.elemType ?? DataType.FLOAT;
  const x = elem === DataType.FLOAT ? logits : node('Cast', [logits], fresh('logits_f32'), { to: DataType.FLOAT });
  const vocab = dims[2]?.dimValue;
  const groups = typeof vocab === 'number' ? sumGroups(vocab) : 1;
  let lse: string;
  if (groups > 1) {
    const shape = fresh('grouped_shape');
    model.setInitializer(shape, DataType.INT64, [4], BigInt64Array.of(0n, 0n, BigInt(groups), BigInt((vocab as number) / groups)));
    const grouped = node('Reshape', [x, shape], fresh('logits_grouped'));
    const partial = withAxes('ReduceLogSumExp', grouped, fresh('lse_groups'), 3, 18, { keepdims: 0 });
    lse = withAxes('ReduceLogSumExp', partial, fresh('lse'), 2, 18, { keepdims: 1 });
  } else {
    lse = withAxes('ReduceLogSumExp', x, fresh('lse'), 2, 18, { keepdims: 1 });
  }
  const idx = withAxes('Unsqueeze', LOSS_TARGETS, fresh('targets_3d'), 2, 13);
  const picked = node('GatherElements', [x, idx], fresh('target_logit'), { axis: 2 });
  const nll3 = node('Sub', [lse, picked], fresh('nll_3d'));
  withAxes('Squeeze', nll3, LOSS_OUTPUT, 2, 13);

  const removedOutputs = model.outputs.map((o) => o.name ?? '');
  model.outputs.splice(0, model.outputs.length, valueInfo(LOSS_OUTPUT, DataType.FLOAT, [batchDim, seqDim]));
  return { logits, removedOutputs };
}

/** K for the two-level log-sum-exp: the divisor of V nearest sqrt(V), or 1 when V has none worth using. */
export function sumGroups(vocab: number): number {
  let best = 1;
  for (let k = 2; k * k <= vocab; k++) if (vocab % k === 0) best = k;
  // best <= sqrt(V) <= V / best; take whichever side of the pair is nearer sqrt(V)
  const pair = best > 1 ? vocab / best : 1;
  const k = Math.abs(pair - Math.sqrt(vocab)) < Math.abs(best - Math.sqrt(vocab)) ? pair : best;
  return k >= 4 && vocab / k >= 4 ? k : 1;
}

type Dim = { dimValue?: number | null | { toNumber(): number }; dimParam?: string | null };

function valueInfo(name: string, elemType: DataType, dims: Dim[]): ValueInfoProto {
  const dim = dims.map((d) => (d.dimParam ? { dimParam: d.dimParam } : typeof d.dimValue === 'number' ? { dimValue: d.dimValue } : {}));
  return pb.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim } } } });
}
