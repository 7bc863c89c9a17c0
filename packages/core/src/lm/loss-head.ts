/**
 * The fused loss head: a pure graph rewrite that turns a decoder's `logits` [B, T, V] into
 * `mc_nll` [B, T] float32, the next-token NLL in nats for targets fed as `mc_targets` [B, T] int64:
 *
 *   mc_nll[b,t] = logsumexp_v logits[b,t,v] - logits[b,t,target[b,t]]
 *
 * Where the logits come from a recognisable LM head (MatMul by a float32 weight initializer, + bias)
 * the head is replaced by the chunked head of chunked-head.ts, which never builds the [B, T, V]
 * logits, so that memory does not grow with the vocabulary. Anywhere else the full head below reads
 * the logits tensor as it is.
 *
 * The full head is ReduceLogSumExp(keepdims) - GatherElements(unsqueezed targets), then Squeeze. Unlike
 * LogSoftmax + Gather this never materialises a second [B, T, V] tensor, and with `logits` no longer
 * a graph output onnxruntime does not copy the [B, T, V] block out: a window costs B*T floats of output.
 *
 * onnxruntime's CPU ReduceLogSumExp adds the V exponentials one after another in float32, which
 * for V = 4096 already errs by up to 2.6e-5 nats per token (measured on tiny-stdlib-lm; the error
 * grows with V). When V is a known composite number the sum is therefore taken in two levels: the
 * logits viewed as [B, T, K, V/K] (a Reshape, no copy), a log-sum-exp over each group, then one over
 * the K partial results, with K the divisor of V nearest sqrt(V). That cut the error to 1.5e-6.
 */
import { BugError, ErrorCodes, UserError } from '../errors.js';
import { DataType } from '../onnx/dtypes.js';
import type { OnnxModel, ValueInfoProto } from '../onnx/model.js';
import { pb } from '../onnx/proto.js';
import { appendChunkedLoss, DEFAULT_CHUNK, findLmHead, LossOps } from './chunked-head.js';

export { DEFAULT_CHUNK, sumGroups } from './chunked-head.js';

export const LOSS_TARGETS = 'mc_targets';
export const LOSS_OUTPUT = 'mc_nll';

export interface LossHeadResult {
  /** the logits tensor the head reads (now an intermediate) */
  readonly logits: string;
  /** graph outputs removed so that only mc_nll is computed and copied out */
  readonly removedOutputs: readonly string[];
  /** which head was appended */
  readonly head: LossHeadKind;
}

export interface LossHeadKind {
  /**
   * 'chunked': the logits came from a recognised LM head (MatMul by a float32 weight, + bias), and
   * are computed and reduced `chunk` vocabulary columns at a time, never all at once
   * (chunked-head.ts); 'full': the head reads the whole logits tensor.
   */
  readonly mode: 'chunked' | 'full';
  /** columns per chunk ('chunked' only; the vocabulary size when it is one chunk) */
  readonly chunk?: number;
}

export interface LossHeadOptions {
  /** columns of the vocabulary per chunk of the chunked head (default DEFAULT_CHUNK) */
  readonly chunk?: number;
  /** false: always the full head, even where the chunked one applies (default true) */
  readonly chunked?: boolean;
}

/** The decoder's logits output: `logits`, else the first output of rank 3. */
export function findLogitsOutput(model: OnnxModel): ValueInfoProto | undefined {
  return (
    model.outputs.find((o) => o.name === 'logits') ??
    model.outputs.find((o) => (o.type?.tensorType?.shape?.dim?.length ?? 0) === 3)
  );
}

/**
 * Append the loss head in place. Every other graph output (logits, present.* of a KV export) is
 * dropped from the outputs: scoring needs none of them, and onnxruntime then neither copies them out
 * nor keeps the nodes that only fed them.
 */
export function appendLossHead(model: OnnxModel, options: LossHeadOptions = {}): LossHeadResult {
  const out = findLogitsOutput(model);
  if (!out?.name) {
    throw new UserError(ErrorCodes.BAD_MODEL, 'not a causal LM: no logits output', {
      hint: 'the model needs an output named logits, or one of shape [batch, sequence, vocab]',
    });
  }
  for (const name of [LOSS_TARGETS, LOSS_OUTPUT]) {
    if (model.inputs.some((i) => i.name === name) || model.producer(name)) {
      throw new UserError(ErrorCodes.BAD_MODEL, `the model already has a tensor named ${name}`, {
        hint: "it was saved with mc's loss head attached; use the model without it",
      });
    }
  }
  const opset = model.opset() ?? 1;
  if (opset < 11) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `the fused loss head needs opset 11 or later (GatherElements); the model has opset ${opset}`,
      {
        hint: 'score it through the logits path (lossHead: "logits")',
      },
    );
  }
  const chunk = options.chunk ?? DEFAULT_CHUNK;
  if (!(Number.isInteger(chunk) && chunk > 0))
    throw new BugError(`loss head: chunk must be a positive integer, got ${chunk}`);
  const logits = out.name;
  const dims = out.type?.tensorType?.shape?.dim ?? [];
  const [batchDim, seqDim] = [dims[0] ?? {}, dims[1] ?? {}];
  model.inputs.push(valueInfo(LOSS_TARGETS, DataType.INT64, [batchDim, seqDim]));

  const ops = new LossOps(model, opset);
  const removedOutputs = model.outputs.map((o) => o.name ?? '');
  model.outputs.splice(0, model.outputs.length, valueInfo(LOSS_OUTPUT, DataType.FLOAT, [batchDim, seqDim]));

  const vocab = dims[2]?.dimValue;
  const lm =
    options.chunked !== false && out.type?.tensorType?.elemType === DataType.FLOAT
      ? findLmHead(model, logits, typeof vocab === 'number' ? vocab : undefined)
      : undefined;
  if (lm) {
    appendChunkedLoss(ops, lm, chunk, LOSS_TARGETS, LOSS_OUTPUT);
    return { logits, removedOutputs, head: { mode: 'chunked', chunk: Math.min(chunk, lm.vocab) } };
  }
  appendFullLoss(ops, out, LOSS_OUTPUT);
  return { logits, removedOutputs, head: { mode: 'full' } };
}

/** The head over the whole logits tensor (any producer): ReduceLogSumExp - GatherElements. */
function appendFullLoss(ops: LossOps, out: ValueInfoProto, output: string): void {
  // float32 even for fp16/bf16 logits: a half-precision log-sum-exp over 32k+ values loses digits
  // that BPC's third decimal needs.
  const elem = out.type?.tensorType?.elemType ?? DataType.FLOAT;
  const logits = out.name ?? '';
  const x =
    elem === DataType.FLOAT ? logits : ops.node('Cast', [logits], ops.fresh('logits_f32'), { to: DataType.FLOAT });
  const vocab = out.type?.tensorType?.shape?.dim?.[2]?.dimValue;
  const lse = ops.logSumExp(x, 3, typeof vocab === 'number' ? vocab : 0, 1);
  const idx = ops.withAxes('Unsqueeze', LOSS_TARGETS, ops.fresh('targets_3d'), 2, 13);
  const picked = ops.node('GatherElements', [x, idx], ops.fresh('target_logit'), { axis: 2 });
  const nll3 = ops.node('Sub', [lse, picked], ops.fresh('nll_3d'));
  ops.withAxes('Squeeze', nll3, output, 2, 13);
}

type Dim = { dimValue?: number | null | { toNumber(): number }; dimParam?: string | null };

function valueInfo(name: string, elemType: DataType, dims: Dim[]): ValueInfoProto {
  const dim = dims.map((d) =>
    d.dimParam ? { dimParam: d.dimParam } : typeof d.dimValue === 'number' ? { dimValue: d.dimValue } : {},
  );
  return pb.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim } } } });
}
