/**
 * The chunked loss head: when the logits come out of a plain LM head, `MatMul(hidden [B, T, d], W)`
 * with W a float32 initializer [d, V] (or `Transpose(E)` of an initializer E [V, d], as tied-embedding
 * exports write it), optionally followed by `Add(bias)`, the NLL is computed a chunk of Vc
 * vocabulary columns at a time, so the [B, T, V] logits are never materialised:
 *
 *   Loop over the floor(V / Vc) full chunks (N = B*T rows):
 *     Slice W's columns c*Vc .. (c+1)*Vc (E's rows when tied) -> Gemm(hidden [N, d], W_c) [+ bias_c]
 *     -> log-sum-exp of the chunk [N, 1] and its logit at column (target mod Vc) [N, 1], the two
 *     scan outputs ([K, N, 1] each)
 *   the V mod Vc last columns: the same once more, after the Loop
 *   NLL = ReduceLogSumExp over the chunks - the logit of the chunk holding the target
 *
 * The head's memory is then one [N, Vc] chunk (and its LogSoftmax) whatever V is. The head's MatMul
 * and Add leave the graph, and so does the tied Transpose, whose constant-folded copy of the
 * embedding onnxruntime would otherwise hold. Where V <= Vc the whole vocabulary is one chunk and
 * there is no Loop: Gemm reads W itself, and its logits are bit for bit the MatMul's.
 *
 * The target logit is read out of the chunk's own logits (GatherElements), not computed as the
 * hidden state dotted with a Gather of W's target column: Mul + ReduceSum would sum over d in yet
 * another order than either GEMM (up to 5.7e-6 nats off the logits path on tiny-stdlib-lm), where
 * this way every NLL is the log-sum-exp minus one of the very logits it summed: consistent, never
 * negative, and in the one-chunk case exactly the logits path's logit.
 *
 * Loop, not an unrolled chain of K Slice/Gemm nodes: measured on the bench's synthetic LM (vocab
 * 150,000, d 64, 4 windows of 512 tokens, chunks of 4096), the unrolled graph peaked at 992-1012 MiB
 * against 351-370 MiB for the Loop (and 653-662 MiB for the full head): onnxruntime folds every
 * constant Slice of the weight into an initializer of its own, and does not run the chain one chunk
 * at a time. A Loop body's Slice reads the iteration number, so nothing is folded, and its tensors
 * are freed after each iteration; the Loop's own cost is well under 1 ms per chunk.
 */
import { DataType } from '../onnx/dtypes.js';
import type { NodeProto, OnnxModel } from '../onnx/model.js';
import { pb, type onnx } from '../onnx/proto.js';

/**
 * Columns per chunk: 8 MiB of float32 logits per 512-token window (twice that with the LogSoftmax).
 * On the synthetic vocab-150,000 LM, chunks of 4096 and 8192 ran equally fast; 4096 peaked 12 MiB lower.
 */
export const DEFAULT_CHUNK = 4096;

/** A recognised LM head: logits = hidden @ W (+ bias). */
export interface LmHead {
  /** the MatMul(hidden, W) */
  readonly matMul: NodeProto;
  /** Add(MatMul, bias), when the logits are its output */
  readonly add?: NodeProto;
  /** Transpose(E) feeding the MatMul (tied embedding) */
  readonly transpose?: NodeProto;
  /** the MatMul's first input, [B, T, d] */
  readonly hidden: string;
  /** the weight initializer: [d, V], or E [V, d] when `transposed` */
  readonly weight: string;
  readonly transposed: boolean;
  /** bias initializer of V elements */
  readonly bias?: string;
  readonly vocab: number;
  readonly dModel: number;
}

const isDefaultDomain = (n: NodeProto) => !n.domain || n.domain === 'ai.onnx';

/**
 * The LM head producing `logits`, or undefined when the logits come from anything else, when
 * another node reads them (the MatMul would have to stay), or when the weight is not float32.
 */
export function findLmHead(model: OnnxModel, logits: string, vocabDim?: number): LmHead | undefined {
  if (model.consumers(logits).length > 0) return undefined;
  let producer = model.producer(logits);
  if (!producer || !isDefaultDomain(producer)) return undefined;
  let add: NodeProto | undefined;
  let bias: string | undefined;
  if (producer.opType === 'Add') {
    const inputs = producer.input ?? [];
    const k = inputs.findIndex((name) => model.getInitializer(name) !== undefined);
    if (inputs.length !== 2 || k < 0) return undefined;
    add = producer;
    bias = inputs[k];
    const mmOut = inputs[1 - k];
    producer = model.producer(mmOut);
    if (!producer || model.consumers(mmOut).length !== 1 || model.outputs.some((o) => o.name === mmOut))
      return undefined;
  }
  if (producer.opType !== 'MatMul' || !isDefaultDomain(producer)) return undefined;
  const [hidden, b] = producer.input ?? [];
  if (!hidden || !b) return undefined;

  let weight = b;
  let transpose: NodeProto | undefined;
  let init = model.getInitializer(b);
  if (!init) {
    transpose = model.producer(b);
    const perm = transpose?.attribute?.find((a) => a.name === 'perm')?.ints?.map(Number);
    if (
      !transpose ||
      transpose.opType !== 'Transpose' ||
      !isDefaultDomain(transpose) ||
      (perm && perm.join() !== '1,0')
    )
      return undefined;
    weight = transpose.input?.[0] ?? '';
    init = model.getInitializer(weight);
  }
  if (!init || init.dataType !== DataType.FLOAT || init.dims.length !== 2) return undefined;
  const transposed = transpose !== undefined;
  const [dModel, vocab] = transposed ? [init.dims[1], init.dims[0]] : [init.dims[0], init.dims[1]];
  if (!(vocab > 0 && dModel > 0) || (vocabDim !== undefined && vocabDim !== vocab)) return undefined;
  if (bias !== undefined) {
    const b0 = model.getInitializer(bias);
    // [V], or [1, ..., 1, V]: broadcast along the vocabulary only
    if (!b0 || b0.dataType !== DataType.FLOAT || b0.elementCount !== vocab || b0.dims[b0.dims.length - 1] !== vocab)
      return undefined;
  }
  return { matMul: producer, add, transpose, hidden, weight, transposed, bias, vocab, dModel };
}

type Attr = number | number[] | onnx.IGraphProto;

/** Node emitter shared by the two heads: fresh mc_loss/ names, axes as attribute or input by opset. */
export class LossOps {
  private readonly axesTensors = new Map<number, string>();

  constructor(
    readonly model: OnnxModel,
    readonly opset: number,
  ) {}

  fresh(base: string): string {
    return this.model.uniqueName(`mc_loss/${base}`);
  }

  /** Emit a node into the main graph, or into `sink` (a Loop body). Returns the output name. */
  node(opType: string, inputs: string[], output: string, attrs: Record<string, Attr> = {}, sink?: NodeProto[]): string {
    this.nodeN(opType, inputs, [output], attrs, sink);
    return output;
  }

  nodeN(
    opType: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, Attr> = {},
    sink?: NodeProto[],
  ): void {
    const A = pb.AttributeProto.AttributeType;
    const node = pb.NodeProto.create({
      name: this.fresh(opType),
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([name, v]) =>
        Array.isArray(v)
          ? { name, type: A.INTS, ints: v }
          : typeof v === 'number'
            ? { name, type: A.INT, i: v }
            : { name, type: A.GRAPH, g: v },
      ),
    });
    if (sink) sink.push(node);
    else this.model.addNode(node);
  }

  /** An int64 initializer. */
  ints(base: string, dims: number[], values: readonly number[]): string {
    const name = this.fresh(base);
    this.model.setInitializer(
      name,
      DataType.INT64,
      dims,
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
    return name;
  }

  /** A reduction/(un)squeeze over one axis: `axes` an attribute before opset `since`, an input from it. */
  withAxes(
    opType: string,
    x: string,
    output: string,
    axis: number,
    since: number,
    attrs: Record<string, number> = {},
    sink?: NodeProto[],
  ): string {
    if (this.opset < since) return this.node(opType, [x], output, { ...attrs, axes: [axis] }, sink);
    let axes = this.axesTensors.get(axis);
    if (!axes) {
      axes = this.ints(`axes${axis}`, [1], [axis]);
      this.axesTensors.set(axis, axes);
    }
    return this.node(opType, [x, axes], output, attrs, sink);
  }

  /** ReduceLogSumExp over the last axis of x [..., n] in two levels when n has a divisor near sqrt(n). */
  logSumExp(x: string, rank: number, n: number, keepdims: number, sink?: NodeProto[]): string {
    const groups = sumGroups(n);
    if (groups <= 1) return this.withAxes('ReduceLogSumExp', x, this.fresh('lse'), rank - 1, 18, { keepdims }, sink);
    const shape = this.ints('grouped_shape', [rank + 1], [...Array<number>(rank - 1).fill(0), groups, n / groups]);
    const grouped = this.node('Reshape', [x, shape], this.fresh('grouped'), {}, sink);
    const partial = this.withAxes(
      'ReduceLogSumExp',
      grouped,
      this.fresh('lse_groups'),
      rank,
      18,
      { keepdims: 0 },
      sink,
    );
    return this.withAxes('ReduceLogSumExp', partial, this.fresh('lse'), rank - 1, 18, { keepdims }, sink);
  }
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

/**
 * Replace `head` by the chunked NLL: `output` [B, T] float32 = logsumexp - target logit, for
 * `targets` [B, T] int64, in chunks of `chunk` columns (one chunk, no Loop, when chunk >= V).
 * Removes the head's MatMul, Add and (when nothing else reads it) Transpose.
 */
export function appendChunkedLoss(ops: LossOps, head: LmHead, chunk: number, targets: string, output: string): void {
  const { model } = ops;
  const { vocab: V, dModel: d } = head;
  removeHead(model, head);
  const hidden = ops.node('Reshape', [head.hidden, ops.ints('hidden_shape', [2], [-1, d])], ops.fresh('hidden_2d'));
  const flatTargets = ops.node('Reshape', [targets, ops.ints('flat', [1], [-1])], ops.fresh('targets_1d'));
  const bias =
    head.bias === undefined || model.getInitializer(head.bias)?.dims.length === 1
      ? head.bias
      : ops.node('Reshape', [head.bias, ops.ints('flat', [1], [-1])], ops.fresh('bias_1d'));
  const lm = { ...head, bias };
  const column2d = (t: string) =>
    ops.node('Reshape', [t, ops.ints('column_shape', [2], [-1, 1])], ops.fresh('target_column_2d'));

  let lse: string; // [N, 1] float64
  let targetLogit: string; // [N, 1] or [1, N, 1] float32
  if (chunk >= V) {
    ({ lse, picked: targetLogit } = emitChunk(ops, lm, hidden, column2d(flatTargets), V, false));
  } else {
    // target t is read from chunk floor(t / chunk), at column t mod chunk
    const size = ops.ints('chunk_size', [], [chunk]);
    const owner = ops.node('Div', [flatTargets, size], ops.fresh('target_chunk'));
    const local = column2d(
      ops.node(
        'Sub',
        [flatTargets, ops.node('Mul', [owner, size], ops.fresh('target_chunk_start'))],
        ops.fresh('target_column'),
      ),
    );
    const full = Math.floor(V / chunk);
    const tail = V - full * chunk;

    // chunks 0 .. full-1 in a Loop, whose scan outputs stack them: lse [full, N, 1], logit at `local` [full, N, 1]
    const body: NodeProto[] = [];
    const [iter, condIn] = [ops.fresh('iter'), ops.fresh('cond_in')];
    const starts = ops.ints(
      'chunk_starts',
      [full, 1],
      Array.from({ length: full }, (_, i) => i * chunk),
    );
    const start = ops.node('Gather', [starts, iter], ops.fresh('start'), { axis: 0 }, body);
    const end = ops.node('Add', [start, ops.ints('chunk_width', [1], [chunk])], ops.fresh('end'), {}, body);
    const r = emitChunk(ops, lm, hidden, local, chunk, false, { start, end }, body);
    const condOut = ops.node('Identity', [condIn], ops.fresh('cond_out'), {}, body);
    const graph = pb.GraphProto.create({
      name: ops.fresh('chunk_body'),
      node: body,
      input: [valueInfo(iter, DataType.INT64, []), valueInfo(condIn, DataType.BOOL, [])],
      output: [
        valueInfo(condOut, DataType.BOOL, []),
        valueInfo(r.lse, DataType.DOUBLE, [undefined, 1]),
        valueInfo(r.picked, DataType.FLOAT, [undefined, 1]),
      ],
    });
    let [lseChunks, pickedChunks] = [ops.fresh('lse_chunks'), ops.fresh('target_logit_chunks')];
    ops.nodeN('Loop', [ops.ints('chunk_count', [], [full]), ''], [lseChunks, pickedChunks], { body: graph });

    // the last V mod chunk columns: one short chunk after the Loop (its Slice is constant, so
    // onnxruntime folds it into an initializer of `tail` columns)
    if (tail > 0) {
      const bounds = { start: ops.ints('tail_start', [1], [full * chunk]), end: ops.ints('tail_end', [1], [V]) };
      const t = emitChunk(ops, lm, hidden, local, tail, true, bounds);
      const stack = (all: string, last: string, base: string) =>
        ops.node(
          'Concat',
          [all, ops.withAxes('Unsqueeze', last, ops.fresh(`${base}_tail`), 0, 13)],
          ops.fresh(`${base}_all`),
          { axis: 0 },
        );
      lseChunks = stack(lseChunks, t.lse, 'lse_chunks');
      pickedChunks = stack(pickedChunks, t.picked, 'target_logit_chunks');
    }
    lse = ops.withAxes('ReduceLogSumExp', lseChunks, ops.fresh('lse'), 0, 18, { keepdims: 0 });
    const ownerIndex = ops.node(
      'Reshape',
      [owner, ops.ints('owner_shape', [3], [1, -1, 1])],
      ops.fresh('target_chunk_3d'),
    );
    targetLogit = ops.node('GatherElements', [pickedChunks, ownerIndex], ops.fresh('target_logit'), { axis: 0 });
  }
  const nll = ops.node(
    'Sub',
    [lse, ops.node('Cast', [targetLogit], ops.fresh('target_logit_f64'), { to: DataType.DOUBLE })],
    ops.fresh('nll_f64'),
  );
  const shape = ops.node('Shape', [targets], ops.fresh('targets_shape'));
  ops.node('Reshape', [ops.node('Cast', [nll], ops.fresh('nll_f32'), { to: DataType.FLOAT }), shape], output);
}

/**
 * One chunk of `width` columns, [start, end) of the vocabulary (all of it when `bounds` is absent):
 * its logits [N, width], their log-sum-exp [N, 1] float64, and the logit at column `local` [N, 1]
 * of each row. Rows whose target lies in another chunk read some other column of this one (column 0
 * where `local` is past the end of a `short` chunk); the caller never uses those values.
 *
 * The logits are bit for bit the head's MatMul's when the weight is used whole. A Slice of it is not
 * constant, so onnxruntime does not pre-pack it, and MLAS then sums in another order: a few float32
 * ulps apart (on tiny-stdlib-lm the chunked NLL is 4.8e-6 off the logits path at most, and nearer
 * than the logits path to the float64 product of the same hidden state: 2.4e-6 vs 4.0e-6).
 */
function emitChunk(
  ops: LossOps,
  head: LmHead,
  hidden: string,
  local: string,
  width: number,
  short: boolean,
  bounds?: { start: string; end: string },
  sink?: NodeProto[],
): { lse: string; picked: string } {
  const columns = bounds
    ? ops.node(
        'Slice',
        [head.weight, bounds.start, bounds.end, ops.ints('chunk_axis', [1], [head.transposed ? 0 : 1])],
        ops.fresh('w_chunk'),
        {},
        sink,
      )
    : head.weight;
  let logits = ops.node(
    'Gemm',
    [hidden, columns],
    ops.fresh('logits_chunk'),
    head.transposed ? { transB: 1 } : {},
    sink,
  );
  if (head.bias !== undefined) {
    // after the product, as the head's own Add does (Gemm's C would join the sum earlier)
    const bias = bounds
      ? ops.node('Slice', [head.bias, bounds.start, bounds.end], ops.fresh('bias_chunk'), {}, sink)
      : head.bias;
    logits = ops.node('Add', [logits, bias], ops.fresh('logits_chunk_biased'), {}, sink);
  }
  const lse = chunkLogSumExp(ops, logits, width, sink);
  let index = local;
  if (short) {
    const inside = ops.node('Less', [local, ops.ints('width', [], [width])], ops.fresh('in_chunk'), {}, sink);
    index = ops.node('Where', [inside, local, ops.ints('zero', [], [0])], ops.fresh('column_clamped'), {}, sink);
  }
  const picked = ops.node('GatherElements', [logits, index], ops.fresh('target_logit_chunk'), { axis: 1 }, sink);
  return { lse, picked };
}

/**
 * log-sum-exp of one chunk [N, width] -> [N, 1] float64. Not ReduceLogSumExp: onnxruntime's CPU
 * kernel calls exp one value at a time and sums in one float32 accumulator, where LogSoftmax runs
 * MLAS's vectorised exp with several accumulators: about 1.5 against 6-8 ms for [512, 4096] (2 cores),
 * and more accurate. Each run of about GROUP_WIDTH columns is one LogSoftmax row, whose output is
 * (x - max) - log(sum) rounded twice; at the max column that is exactly -log(sum), and everywhere
 * else no more (rounding is monotonic), so max(x) - max(logsoftmax) = max + log(sum), taken in
 * float64 from the two float32 values. The groups are combined by a float64 ReduceLogSumExp.
 * Error on random logits [512, 4096]: 2.1e-7 against float64, where two levels of float32
 * ReduceLogSumExp (the full head) err by 2.8e-6 and one level by 7.4e-6.
 */
function chunkLogSumExp(ops: LossOps, logits: string, width: number, sink?: NodeProto[]): string {
  const groups = groupCount(width);
  const x =
    groups > 1
      ? ops.node(
          'Reshape',
          [logits, ops.ints('grouped_shape', [3], [0, groups, width / groups])],
          ops.fresh('grouped'),
          {},
          sink,
        )
      : logits;
  const axis = groups > 1 ? 2 : 1;
  const logSoftmax = ops.node('LogSoftmax', [x], ops.fresh('log_softmax'), { axis }, sink);
  const maxOf = (t: string, base: string) => {
    const max = ops.withAxes('ReduceMax', t, ops.fresh(base), axis, 18, { keepdims: 1 }, sink);
    return ops.node('Cast', [max], ops.fresh(`${base}_f64`), { to: DataType.DOUBLE }, sink);
  };
  const lse = ops.node(
    'Sub',
    [maxOf(x, 'max'), maxOf(logSoftmax, 'log_softmax_max')],
    ops.fresh('lse_group'),
    {},
    sink,
  ); // [N, G, 1] or [N, 1]
  return groups > 1 ? ops.withAxes('ReduceLogSumExp', lse, ops.fresh('lse_chunk'), 1, 18, { keepdims: 0 }, sink) : lse;
}

/** Columns per LogSoftmax row: short rows keep the float32 sums short, long ones the per-row overhead low. */
const GROUP_WIDTH = 256;

/** Groups of a chunk of `width` columns: the divisor of width that gives rows nearest GROUP_WIDTH wide (not under 32), else 1. */
export function groupCount(width: number): number {
  let best = 1;
  for (let g = 2; width / g >= 32; g++) {
    if (width % g === 0 && Math.abs(Math.log(width / g / GROUP_WIDTH)) < Math.abs(Math.log(width / best / GROUP_WIDTH)))
      best = g;
  }
  return best;
}

/** Take the head's MatMul/Add (and a Transpose only it read) out of the graph, with their value_info. */
export function removeHead(model: OnnxModel, head: LmHead): void {
  const gone = [head.add, head.matMul].filter((n): n is NodeProto => n !== undefined);
  for (const n of gone) model.removeNode(n);
  if (
    head.transpose &&
    model.consumers(head.transpose.output?.[0] ?? '').length === 0 &&
    !model.outputs.some((o) => o.name === head.transpose?.output?.[0])
  ) {
    model.removeNode(head.transpose);
    gone.push(head.transpose);
  }
  const names = new Set(gone.flatMap((n) => n.output ?? []));
  const graph = model.proto.graph;
  if (graph?.valueInfo) graph.valueInfo = graph.valueInfo.filter((v) => !names.has(v.name ?? ''));
}

function valueInfo(name: string, elemType: DataType, dims: (number | undefined)[]): onnx.IValueInfoProto {
  return pb.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (d === undefined ? {} : { dimValue: d })) } } },
  });
}
