/**
 * The KL head: per target token, KL(dense ‖ compressed), both NLLs and both argmaxes, computed
 * inside onnxruntime a chunk of vocabulary columns at a time, so that no [T × V] tensor of both
 * models exists and none crosses to JS.
 *
 * KL needs both models' logits over the same columns at once (Σ_v p_dense(v)·(log p_dense(v) −
 * log p_comp(v)) does not split into per-model statistics). Of the two ways to get them into one
 * graph, merging the two decoders (every name of one renamed, subgraphs included) or handing one
 * model's hidden state to the other's session, this takes the second: the dense model is cut at its
 * LM head (`cutAtLmHead`: its one output becomes the head's input [B, T, d], T·d floats per window,
 * not T·V), and the compressed model's graph gets that hidden state as an input and a copy of the
 * dense head's weight as an initializer (`appendKlHead`). A Loop over the vocabulary then computes
 * both chunks' logits and reduces them to [N, 1] statistics; the chunk's tensors are freed after each
 * iteration (chunked-head.ts says why a Loop and not an unrolled chain). Cost: the dense head weight
 * is held twice (V·d floats, weights, not activations: flat in T), measured by bench/kld.mjs.
 *
 * Where the compressed head is itself a float32 MatMul (prune keeps the output layer dense), its
 * columns are sliced the same way; where it is int4's MatMulNBits, its rows of B, scales and zero
 * points are (in chunks that divide V, since the node's N is an attribute). Where it is anything else
 * (a DequantizeLinear weight, a vocabulary with no divisor near the chunk), its whole [N, V] logits are
 * computed by its own head and sliced: one model's logits, held inside onnxruntime, never both
 * models' and never in JS.
 *
 * The arithmetic is float64 from the float32 logits of each chunk (a dense, b compressed, δ = a − b):
 *   KL = Σ_v p(v)·((a_v − lseA) − (b_v − lseB)) = E_p[δ] − lseA + lseB,  p = softmax(a)
 * Per chunk c: lseA_c and lseB_c (max + log Σ e^(x − max)) and S_c = Σ_{v∈c} e^(a_v − maxA_c)·δ_v / Σ_{v∈c} e^(a_v − maxA_c);
 * after the Loop: lseA = logsumexp_c lseA_c, E_p[δ] = Σ_c e^(lseA_c − lseA)·S_c. For equal logits δ is
 * exactly 0 and the two log-sum-exps are the same float64 operations on the same values, so KL is
 * exactly 0; otherwise −lseA + lseB cancels two numbers of size ~10 into a KL of ~1e-3, which float64
 * (1e-15 relative) affords and float32 (2e-7 nats on a log-sum-exp) would not. A first version also
 * summed E_p[e^(−δ) − 1] to avoid that cancellation, at the cost of one more exp over every logit.
 */
import { ErrorCodes, UserError } from '../errors.js';
import { DataType } from '../onnx/dtypes.js';
import type { NodeProto, OnnxModel, ValueInfoProto } from '../onnx/model.js';
import { pb } from '../onnx/proto.js';
import { findLmHead, LossOps, removeHead } from './chunked-head.js';
import { findLogitsOutput, LOSS_TARGETS } from './loss-head.js';

/**
 * Vocabulary columns per chunk of the KL head: its per-chunk tensors are float64, [T, chunk] several
 * times over. Measured with bench/kld.mjs (4 windows of 512 tokens, synthetic d-64 LMs): chunks of
 * 1024 added 43 MiB over the loaded models at vocab 4096 against 172 MiB for chunks of 4096, and ran
 * 0.58 s against 1.05 s; at vocab 150,000 both added under 75 MiB, in 15.6 s against 14.3 s.
 */
export const KL_CHUNK = 1024;

/** The compressed model's extra input: the dense model's hidden state at its LM head, [B, T, d] float32. */
export const KL_DENSE_HIDDEN = 'mc_dense_hidden';

/** Outputs of the KL head, each [B, T]: float32 values, int64 token ids. */
export const KL_OUTPUTS = Object.freeze({
  kl: 'mc_kl',
  nllBase: 'mc_nll_base',
  nll: 'mc_nll',
  topBase: 'mc_top_base',
  top: 'mc_top',
});

/** The dense model's LM head, as the compressed graph needs it: its weight and bias values. */
export interface DenseHead {
  readonly vocab: number;
  readonly dModel: number;
  /** [d, V], or [V, d] when `transposed` (a tied embedding) */
  readonly weight: Float32Array;
  readonly transposed: boolean;
  readonly bias?: Float32Array;
  /** the dense graph's output after the cut: the head's input */
  readonly hidden: string;
}

/**
 * Cut `dense` at its LM head in place: its only output becomes the head's input [B, T, d]; the head's
 * MatMul/Add leave the graph (onnxruntime then drops the weight when nothing else reads it).
 * Undefined when the head is not a float32 MatMul that findLmHead recognises (the caller falls back to logits).
 */
export function cutAtLmHead(dense: OnnxModel): DenseHead | undefined {
  const out = findLogitsOutput(dense);
  if (!out?.name || out.type?.tensorType?.elemType !== DataType.FLOAT) return undefined;
  const v = out.type.tensorType.shape?.dim?.[2]?.dimValue;
  const head = findLmHead(dense, out.name, typeof v === 'number' ? v : undefined);
  if (!head) return undefined;
  const weight = dense.getInitializer(head.weight)?.readFloat32();
  const bias = head.bias === undefined ? undefined : dense.getInitializer(head.bias)?.readFloat32();
  if (!weight) return undefined;
  removeHead(dense, head);
  // nothing reads them now (unless tied to the embedding): drop them here rather than have onnxruntime warn
  for (const name of [head.weight, head.bias])
    if (name !== undefined && dense.consumers(name).length === 0) dense.removeInitializer(name);
  dense.outputs.splice(
    0,
    dense.outputs.length,
    pb.ValueInfoProto.create({ name: head.hidden, type: { tensorType: { elemType: DataType.FLOAT } } }),
  );
  return {
    vocab: head.vocab,
    dModel: head.dModel,
    weight: Float32Array.from(weight),
    transposed: head.transposed,
    bias: bias && Float32Array.from(bias),
    hidden: head.hidden,
  };
}

export interface KlHeadResult {
  /** 'sliced': the compressed head (a float32 MatMul or a MatMulNBits) is chunked like the dense one; 'full': its [N, V] logits are computed whole and sliced */
  readonly compressedHead: 'sliced' | 'full';
  readonly chunk: number;
}

/**
 * Append the KL head to the compressed model in place: inputs LOSS_TARGETS [B, T] int64 and
 * KL_DENSE_HIDDEN [B, T, d] float32 join the graph's, and the KL_OUTPUTS replace its outputs.
 */
export function appendKlHead(model: OnnxModel, dense: DenseHead, options: { chunk?: number } = {}): KlHeadResult {
  const out = findLogitsOutput(model);
  if (!out?.name) {
    throw new UserError(ErrorCodes.BAD_MODEL, 'not a causal LM: no logits output', {
      hint: 'the model needs an output named logits, or one of shape [batch, sequence, vocab]',
    });
  }
  const opset = model.opset() ?? 1;
  if (opset < 11) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `the KL head needs opset 11 or later (GatherElements); the model has opset ${opset}`,
      { hint: 'run mc convert --opset 17 on it first' },
    );
  }
  for (const name of [LOSS_TARGETS, KL_DENSE_HIDDEN, ...Object.values(KL_OUTPUTS)]) {
    if (model.inputs.some((i) => i.name === name) || model.producer(name)) {
      throw new UserError(ErrorCodes.BAD_MODEL, `the model already has a tensor named ${name}`, {
        hint: "it was saved with one of mc's heads attached; use the model without it",
      });
    }
  }
  const V = dense.vocab;
  const dims = out.type?.tensorType?.shape?.dim ?? [];
  const declared = dims[2]?.dimValue;
  if (typeof declared === 'number' && declared !== V) {
    throw new UserError(
      ErrorCodes.BAD_MODEL,
      `the model's vocabulary (${declared}) differs from the baseline's (${V})`,
      {
        hint: 'KL divergence compares two models over the same vocabulary: pass the model this one was compressed from as --baseline',
      },
    );
  }
  const compHead = out.type?.tensorType?.elemType === DataType.FLOAT ? findLmHead(model, out.name, V) : undefined;
  const nbits = compHead ? undefined : findNBitsHead(model, out.name, V, options.chunk ?? KL_CHUNK);
  const chunk = nbits?.chunk ?? Math.min(options.chunk ?? KL_CHUNK, V);
  const ops = new LossOps(model, opset);
  const fresh = (base: string) => model.uniqueName(`mc_kl/${base}`);
  const [batchDim, seqDim] = [dims[0] ?? {}, dims[1] ?? {}];
  model.inputs.push(valueInfo(LOSS_TARGETS, DataType.INT64, [batchDim, seqDim]));
  model.inputs.push(valueInfo(KL_DENSE_HIDDEN, DataType.FLOAT, [batchDim, seqDim, { dimValue: dense.dModel }]));

  // the dense head, as initializers of this graph
  const denseWeight = fresh('dense_head_weight');
  model.setInitializer(
    denseWeight,
    DataType.FLOAT,
    dense.transposed ? [V, dense.dModel] : [dense.dModel, V],
    dense.weight,
  );
  const denseBias = dense.bias && fresh('dense_head_bias');
  if (denseBias && dense.bias) model.setInitializer(denseBias, DataType.FLOAT, [V], dense.bias);

  let compFull: string | undefined; // [N, V] float32 when the compressed head is not sliceable
  if (compHead) {
    removeHead(model, compHead);
  } else if (nbits) {
    model.removeNode(nbits.node);
  } else {
    const logits =
      out.type?.tensorType?.elemType === DataType.FLOAT
        ? out.name
        : ops.node('Cast', [out.name], fresh('logits_f32'), { to: DataType.FLOAT });
    compFull = ops.node('Reshape', [logits, ops.ints('logits_2d', [2], [-1, V])], fresh('logits_2d'));
  }
  model.outputs.splice(
    0,
    model.outputs.length,
    ...[KL_OUTPUTS.kl, KL_OUTPUTS.nllBase, KL_OUTPUTS.nll].map((n) => valueInfo(n, DataType.FLOAT, [batchDim, seqDim])),
    ...[KL_OUTPUTS.topBase, KL_OUTPUTS.top].map((n) => valueInfo(n, DataType.INT64, [batchDim, seqDim])),
  );

  const flat2d = (x: string, d: number, base: string) =>
    ops.node('Reshape', [x, ops.ints(`${base}_shape`, [2], [-1, d])], fresh(base));
  const denseHidden = flat2d(KL_DENSE_HIDDEN, dense.dModel, 'dense_hidden_2d');
  const compHidden = compHead
    ? flat2d(compHead.hidden, compHead.dModel, 'hidden_2d')
    : nbits && flat2d(nbits.hidden, nbits.k, 'hidden_2d');
  // MatMulNBits' per-row tensors (scales, zero points) as [V, -1], so that a chunk of rows is one Slice
  const rows = (name: string) => ops.node('Reshape', [name, ops.ints('rows', [2], [V, -1])], fresh(`${name}_rows`));
  const nbitsRows = nbits && { scales: rows(nbits.scales), zeroPoints: nbits.zeroPoints && rows(nbits.zeroPoints) };
  const flatTargets = ops.node('Reshape', [LOSS_TARGETS, ops.ints('flat', [1], [-1])], fresh('targets_1d'));
  const size = ops.ints('chunk_size', [], [chunk]);
  const owner = ops.node('Div', [flatTargets, size], fresh('target_chunk'));
  const local = ops.node(
    'Reshape',
    [
      ops.node(
        'Sub',
        [flatTargets, ops.node('Mul', [owner, size], fresh('target_chunk_start'))],
        fresh('target_column'),
      ),
      ops.ints('column', [2], [-1, 1]),
    ],
    fresh('target_column_2d'),
  );

  // ---- the Loop body: one chunk [start, start + chunk) of both heads (Slice clamps the last one to V)
  const body: NodeProto[] = [];
  const n = (op: string, inputs: string[], base: string, attrs: Record<string, number | number[]> = {}) =>
    ops.node(op, inputs, fresh(base), attrs, body);
  const reduce = (op: string, x: string, base: string, axis: number, since: number, keepdims = 1) =>
    ops.withAxes(op, x, fresh(base), axis, since, { keepdims }, body);
  const [iter, condIn] = [fresh('iter'), fresh('cond_in')];
  const K = Math.ceil(V / chunk);
  const start = n(
    'Gather',
    [
      ops.ints(
        'chunk_starts',
        [K, 1],
        Array.from({ length: K }, (_, i) => i * chunk),
      ),
      iter,
    ],
    'start',
    { axis: 0 },
  );
  const end = n('Add', [start, ops.ints('chunk_width', [1], [chunk])], 'end');
  const columns = (weight: string, transposed: boolean) =>
    n('Slice', [weight, start, end, ops.ints('axis', [1], [transposed ? 0 : 1])], 'w_chunk');
  const product = (hidden: string, weight: string, transposed: boolean, bias: string | undefined, base: string) => {
    const logits = n('Gemm', [hidden, columns(weight, transposed)], base, transposed ? { transB: 1 } : {});
    // the bias after the product, as the heads' own Add does
    return bias === undefined
      ? logits
      : n('Add', [logits, n('Slice', [bias, start, end], 'bias_chunk')], `${base}_biased`);
  };
  const a = product(denseHidden, denseWeight, dense.transposed, denseBias, 'dense_logits');
  let b: string;
  if (compHead && compHidden)
    b = product(
      compHidden,
      compHead.weight,
      compHead.transposed,
      compHead.bias && flatBias(ops, model, compHead.bias),
      'logits',
    );
  else if (nbits && nbitsRows && compHidden) {
    const sliceRows = (x: string, base: string) => n('Slice', [x, start, end, ops.ints('axis', [1], [0])], base);
    const flat = (x: string, base: string) => n('Reshape', [x, ops.ints('flat', [1], [-1])], base);
    const inputs = [
      compHidden,
      sliceRows(nbits.b, 'b_chunk'),
      flat(sliceRows(nbitsRows.scales, 'scales_chunk_rows'), 'scales_chunk'),
    ];
    if (nbitsRows.zeroPoints)
      inputs.push(flat(sliceRows(nbitsRows.zeroPoints, 'zero_points_chunk_rows'), 'zero_points_chunk'));
    const attrs = Object.fromEntries((nbits.node.attribute ?? []).map((a) => [a.name ?? '', Number(a.i ?? 0)]));
    const node = pb.NodeProto.create({
      name: fresh('MatMulNBits'),
      opType: 'MatMulNBits',
      domain: nbits.node.domain,
      input: inputs,
      output: [fresh('logits')],
      attribute: Object.entries({ ...attrs, N: chunk }).map(([name, i]) => ({
        name,
        type: pb.AttributeProto.AttributeType.INT,
        i,
      })),
    });
    body.push(node);
    b = node.output?.[0] ?? '';
  } else b = n('Slice', [compFull ?? '', start, end, ops.ints('axis', [1], [1])], 'logits');
  const [a64, b64] = [
    n('Cast', [a], 'dense_logits_f64', { to: DataType.DOUBLE }),
    n('Cast', [b], 'logits_f64', { to: DataType.DOUBLE }),
  ];
  const maxA = reduce('ReduceMax', a, 'dense_max', 1, 18);
  const maxB = reduce('ReduceMax', b, 'max', 1, 18);
  const f64 = (x: string) => n('Cast', [x], `${x.replace(/^mc_kl\//, '')}_f64`, { to: DataType.DOUBLE });
  const [mA, mB] = [f64(maxA), f64(maxB)];
  // e^(a - max): the dense model's unnormalised probabilities, used twice (its log-sum-exp and E_p[δ])
  const eA = n('Exp', [n('Sub', [a64, mA], 'dense_shifted')], 'dense_e');
  const sA = reduce('ReduceSum', eA, 'dense_sum', 1, 13);
  const lseA = n('Add', [mA, n('Log', [sA], 'dense_log_sum')], 'dense_lse');
  const lseB = n(
    'Add',
    [mB, n('Log', [reduce('ReduceSum', n('Exp', [n('Sub', [b64, mB], 'shifted')], 'e'), 'sum', 1, 13)], 'log_sum')],
    'lse',
  );
  const delta = n('Sub', [a64, b64], 'delta');
  const s1 = n('Div', [reduce('ReduceSum', n('Mul', [eA, delta], 'e_delta'), 'e_delta_sum', 1, 13), sA], 's1');
  const argA = n('ArgMax', [a], 'dense_argmax', { axis: 1, keepdims: 1 });
  const argB = n('ArgMax', [b], 'argmax', { axis: 1, keepdims: 1 });
  const width = n('Gather', [n('Shape', [a], 'chunk_shape'), ops.ints('one', [1], [1])], 'width', { axis: 0 });
  // rows whose target lies in another chunk read column 0 of this one; their value is never used
  const index = n('Where', [n('Less', [local, width], 'in_chunk'), local, ops.ints('zero', [], [0])], 'column_clamped');
  const at = n('GatherElements', [a64, index], 'dense_target_logit', { axis: 1 });
  const bt = n('GatherElements', [b64, index], 'target_logit', { axis: 1 });
  const condOut = n('Identity', [condIn], 'cond_out');
  const scans = [lseA, lseB, s1, at, bt, maxA, maxB, argA, argB];
  const types = [
    DataType.DOUBLE,
    DataType.DOUBLE,
    DataType.DOUBLE,
    DataType.DOUBLE,
    DataType.DOUBLE,
    DataType.FLOAT,
    DataType.FLOAT,
    DataType.INT64,
    DataType.INT64,
  ];
  const graph = pb.GraphProto.create({
    name: fresh('chunk_body'),
    node: body,
    input: [valueInfo(iter, DataType.INT64, []), valueInfo(condIn, DataType.BOOL, [])],
    output: [
      valueInfo(condOut, DataType.BOOL, []),
      ...scans.map((s, i) => valueInfo(s, types[i], [{}, { dimValue: 1 }])),
    ],
  });
  const stacked = scans.map((s) => fresh(`${s.replace(/^mc_kl\//, '')}_chunks`)); // [K, N, 1] each
  ops.nodeN('Loop', [ops.ints('chunk_count', [], [K]), ''], stacked, { body: graph });
  const [lseAs, lseBs, s1s, ats, bts, maxAs, maxBs, argAs, argBs] = stacked;

  // ---- across chunks
  const m = (op: string, inputs: string[], base: string, attrs: Record<string, number | number[]> = {}) =>
    ops.node(op, inputs, fresh(base), attrs);
  const lseDense = ops.withAxes('ReduceLogSumExp', lseAs, fresh('dense_lse_all'), 0, 18, { keepdims: 0 }); // [N, 1]
  const lseComp = ops.withAxes('ReduceLogSumExp', lseBs, fresh('lse_all'), 0, 18, { keepdims: 0 });
  const w = m('Exp', [m('Sub', [lseAs, lseDense], 'chunk_log_mass')], 'chunk_mass'); // [K, N, 1]
  const e1 = ops.withAxes('ReduceSum', m('Mul', [w, s1s], 'w_s1'), fresh('e_delta'), 0, 13, { keepdims: 0 });
  const kl = m('Add', [m('Sub', [e1, lseDense], 'e_delta_minus_lse'), lseComp], 'kl_f64');
  const ownerIndex = m('Reshape', [owner, ops.ints('owner_shape', [3], [1, -1, 1])], 'target_chunk_3d');
  const pick = (all: string, base: string) => m('GatherElements', [all, ownerIndex], base, { axis: 0 }); // [1, N, 1]
  const nllBase = m('Sub', [lseDense, pick(ats, 'dense_target_logit_all')], 'dense_nll_f64');
  const nll = m('Sub', [lseComp, pick(bts, 'target_logit_all')], 'nll_f64');
  const top = (maxes: string, args: string, base: string) => {
    const which = m('ArgMax', [maxes], `${base}_chunk`, { axis: 0, keepdims: 1 }); // first chunk holding the maximum
    const inChunk = m('GatherElements', [args, which], `${base}_column`, { axis: 0 });
    return m('Add', [m('Mul', [which, size], `${base}_chunk_start`), inChunk], base);
  };
  const shape = m('Shape', [LOSS_TARGETS], 'targets_shape');
  const emit = (x: string, output: string, cast: boolean) =>
    ops.node('Reshape', [cast ? m('Cast', [x], `${output}_f32`, { to: DataType.FLOAT }) : x, shape], output);
  emit(kl, KL_OUTPUTS.kl, true);
  emit(nllBase, KL_OUTPUTS.nllBase, true);
  emit(nll, KL_OUTPUTS.nll, true);
  emit(top(maxAs, argAs, 'dense_top'), KL_OUTPUTS.topBase, false);
  emit(top(maxBs, argBs, 'top'), KL_OUTPUTS.top, false);
  return { compressedHead: compHead || nbits ? 'sliced' : 'full', chunk };
}

/**
 * The compressed model's logits straight out of a com.microsoft.MatMulNBits (int4's MatMul head) with
 * N = V, B [V, k_blocks, blob] and no g_idx or bias, and a chunk that divides V (its N attribute is
 * fixed, so every chunk must be as wide): the divisor of V nearest `want` within a factor of 4, or V
 * itself when V <= want. Undefined otherwise (the head is then computed whole).
 */
function findNBitsHead(model: OnnxModel, logits: string, V: number, want: number) {
  const node = model.producer(logits);
  if (!node || node.opType !== 'MatMulNBits' || node.domain !== 'com.microsoft' || model.consumers(logits).length > 0)
    return undefined;
  const attr = (name: string) => Number((node.attribute ?? []).find((a) => a.name === name)?.i ?? NaN);
  const [hidden, b, scales, zeroPoints, gIdx, bias] = node.input ?? [];
  if (attr('N') !== V || !hidden || gIdx || bias || model.getInitializer(b)?.dims[0] !== V) return undefined;
  if (!model.getInitializer(scales) || (zeroPoints && !model.getInitializer(zeroPoints))) return undefined;
  let chunk: number | undefined = V <= want ? V : undefined;
  const nearer = (c: number) => chunk === undefined || Math.abs(Math.log(c / want)) < Math.abs(Math.log(chunk / want));
  if (chunk === undefined)
    for (let c = Math.ceil(want / 4); c <= Math.min(V - 1, want * 4); c++) if (V % c === 0 && nearer(c)) chunk = c;
  return chunk === undefined
    ? undefined
    : { node, hidden, b, scales, zeroPoints: zeroPoints || undefined, k: attr('K'), chunk };
}

/** A bias of shape [1, ..., V] as a [V] vector (Slice along axis 0 needs it flat). */
function flatBias(ops: LossOps, model: OnnxModel, bias: string): string {
  return model.getInitializer(bias)?.dims.length === 1
    ? bias
    : ops.node('Reshape', [bias, ops.ints('flat', [1], [-1])], model.uniqueName('mc_kl/bias_1d'));
}

type Dim = { dimValue?: number | null | { toNumber(): number }; dimParam?: string | null };

function valueInfo(name: string, elemType: DataType, dims: Dim[]): ValueInfoProto {
  const dim = dims.map((d) =>
    d.dimParam ? { dimParam: d.dimParam } : typeof d.dimValue === 'number' ? { dimValue: d.dimValue } : {},
  );
  return pb.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim } } } });
}
