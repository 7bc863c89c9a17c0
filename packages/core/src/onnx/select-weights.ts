/**
 * Which initializers a weight compressor (int8, int4, hyper, prune) rewrites (spec quantization.md
 * §1), and the reason for every float initializer it leaves alone. Only reads the graph.
 *
 * A weight keeps its name: the DequantizeLinear that replaces it outputs that name, so every
 * consumer still reads it unchanged. A tensor is therefore quantized only when EVERY consumer uses it
 * as a weight (with one output-channel axis); one other consumer (an Add, MatMul's input 0, ...)
 * means the tensor is not a weight and it is skipped.
 */
import picomatch from 'picomatch';
import type { ParamSpec } from '../params.js';
import { DataType } from './dtypes.js';
import type { Consumer, Initializer, NodeProto, OnnxModel } from './model.js';

/** The float element types a weight may have. */
export type FloatType = 'float32' | 'float16' | 'bfloat16';

export interface SelectOptions {
  readonly minSize: number;
  /**
   * Also take rank-1 parameters (biases, norm scales and shifts: what PyTorch's parameters() holds
   * besides weights), for a method that rewrites a tensor's values under its own name whatever
   * reads it (hyper). BatchNorm running statistics are buffers, not parameters, and stay out.
   */
  readonly vectors?: boolean;
  /** globs on initializer names or consumer node names; empty = everything */
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

export interface Candidate {
  readonly init: Initializer;
  /** output-channel axis */
  readonly axis: number;
  readonly floatType: FloatType;
  /** e.g. "MatMul input 1" */
  readonly role: string;
}

export interface Skipped {
  readonly init: Initializer;
  readonly reason: string;
}

const FLOAT_TYPES: ReadonlyMap<DataType, FloatType> = new Map([
  [DataType.FLOAT, 'float32'],
  [DataType.FLOAT16, 'float16'],
  [DataType.BFLOAT16, 'bfloat16'],
]);

function intAttr(node: NodeProto, name: string, fallback: number): number {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? fallback : Number(a.i);
}

const where = (c: Consumer) => `${c.node.opType} input ${c.inputIndex}${c.node.name ? ` (${c.node.name})` : ''}`;

/** The output-channel axis when `c` reads the tensor as a weight, else undefined. */
function weightAxis(c: Consumer, rank: number): number | undefined {
  const domain = c.node.domain ?? '';
  if (domain !== '' && domain !== 'ai.onnx') return undefined;
  switch (c.node.opType) {
    case 'MatMul': // [..., K, N]: N output features
      return c.inputIndex === 1 ? rank - 1 : undefined;
    case 'Gemm': // B is [K, N], or [N, K] with transB=1
      return c.inputIndex === 1 ? (intAttr(c.node, 'transB', 0) ? 0 : 1) : undefined;
    case 'Conv': // [M, C/group, k...]: M output channels
      return c.inputIndex === 1 ? 0 : undefined;
    case 'Gather': // an embedding table [vocab, dim]: one scale per row (token)
      return c.inputIndex === 0 ? 0 : undefined;
    default:
      return undefined;
  }
}

/**
 * Where a rank-1 tensor read by `c` is a learned parameter: a bias (Conv, ConvTranspose, Gemm C,
 * an Add after a MatMul), a norm's scale or shift (LayerNormalization, the scale and B of
 * BatchNormalization / InstanceNormalization, a decomposed norm's Mul and Add).
 */
function isVectorParameter(c: Consumer): boolean {
  const domain = c.node.domain ?? '';
  if (domain !== '' && domain !== 'ai.onnx') return false;
  switch (c.node.opType) {
    case 'Conv':
    case 'ConvTranspose':
    case 'Gemm':
      return c.inputIndex === 2;
    case 'LayerNormalization':
    case 'InstanceNormalization':
      return c.inputIndex === 1 || c.inputIndex === 2;
    case 'BatchNormalization': // inputs 3 and 4 are the running mean and variance: buffers
      return c.inputIndex === 1 || c.inputIndex === 2;
    case 'Add':
    case 'Mul':
      return true;
    default:
      return false;
  }
}

/** Compiled once per run: a model can have thousands of initializers. */
interface Globs {
  readonly include: readonly [string, (name: string) => boolean][];
  readonly exclude: readonly [string, (name: string) => boolean][];
}

const compile = (globs: readonly string[]) => globs.map((g) => [g, picomatch(g, { dot: true })] as [string, (n: string) => boolean]);

/** The first glob that matches one of the names. */
function firstMatch(globs: Globs['include'], names: readonly string[]): string | undefined {
  return globs.find(([, isMatch]) => names.some((n) => isMatch(n)))?.[0];
}

/**
 * Every reader of every tensor, in one pass (as OnnxModel.consumers() finds them, subgraph nodes
 * included): asking consumers() per initializer would rescan the graph thousands of times on an LLM.
 */
function consumerIndex(nodes: readonly NodeProto[], into = new Map<string, Consumer[]>()): Map<string, Consumer[]> {
  for (const node of nodes) {
    (node.input ?? []).forEach((name, inputIndex) => {
      const list = into.get(name);
      if (list) list.push({ node, inputIndex });
      else into.set(name, [{ node, inputIndex }]);
    });
    for (const a of node.attribute ?? []) {
      if (a.g) consumerIndex(a.g.node ?? [], into);
      for (const g of a.graphs ?? []) consumerIndex(g.node ?? [], into);
    }
  }
  return into;
}

/** Decide for one float initializer: a Candidate, or a skip reason. */
function decide(readers: ReadonlyMap<string, Consumer[]>, init: Initializer, floatType: FloatType | undefined, outputs: ReadonlySet<string>, globs: Globs, minSize: number, vectors: boolean): Candidate | string {
  if (outputs.has(init.name)) return 'also a graph output';
  const consumers = readers.get(init.name) ?? [];
  if (consumers.length === 0) return 'not consumed by any node';
  const rank = init.dims.length;
  if (vectors && rank === 1) return decideVector(init, consumers, floatType, globs, minSize);
  const axes = consumers.map((c) => weightAxis(c, rank));
  const other = consumers.find((_, i) => axes[i] === undefined);
  if (other) {
    return axes.every((a) => a === undefined)
      ? `not a weight input (feeds ${where(other)})`
      : `also consumed by ${where(other)}, which is not a weight input`;
  }
  if (rank < 2) return `rank-${rank} tensor (bias or norm)`;
  if (new Set(axes).size > 1) return `consumers disagree on the output-channel axis (${consumers.map(where).join(', ')})`;
  if (floatType === undefined) return `${DataType[init.dataType]} weights are not supported (DequantizeLinear outputs float32, float16 or bfloat16)`;
  return filtered(init, consumers, floatType, globs, minSize) ?? { init, axis: axes[0] as number, floatType, role: where(consumers[0]) };
}

/** The user's filters (globs on the tensor's and its readers' names, the size floor): a skip reason or undefined. */
function filtered(init: Initializer, consumers: readonly Consumer[], floatType: FloatType, globs: Globs, minSize: number): string | undefined {
  const names = [init.name, ...consumers.map((c) => c.node.name ?? '').filter((n) => n !== '')];
  const excludedBy = firstMatch(globs.exclude, names);
  if (excludedBy !== undefined) return `excluded by --exclude ${excludedBy}`;
  if (globs.include.length > 0 && firstMatch(globs.include, names) === undefined) {
    return `not matched by --include ${globs.include.map(([g]) => g).join(',')}`;
  }
  if (init.elementCount < minSize) return `${init.elementCount} elements < --min-size ${minSize}`;
  return undefined;
}

/** A rank-1 tensor under SelectOptions.vectors: a Candidate (axis 0) when every reader uses it as a parameter. */
function decideVector(init: Initializer, consumers: readonly Consumer[], floatType: FloatType | undefined, globs: Globs, minSize: number): Candidate | string {
  const other = consumers.find((c) => !isVectorParameter(c));
  if (other) return `rank-1 tensor read by ${where(other)}, not as a bias or norm parameter`;
  if (floatType === undefined) return `${DataType[init.dataType]} tensors are not supported`;
  return filtered(init, consumers, floatType, globs, minSize) ?? { init, axis: 0, floatType, role: where(consumers[0]) };
}

/** Every float initializer in the graph, split into what to quantize and what to leave (with why). */
export function selectWeights(model: OnnxModel, opts: SelectOptions): { candidates: Candidate[]; skipped: Skipped[] } {
  // A graph input that is also an initializer (keep_initializers_as_inputs, IR < 4) is a weight with
  // an overridable default; removeInitializer drops its input entry, as onnxruntime's quantizer does.
  const outputs = new Set(model.outputs.map((v) => v.name ?? ''));
  const globs: Globs = { include: compile(opts.include), exclude: compile(opts.exclude) };
  const readers = consumerIndex(model.nodes);
  const candidates: Candidate[] = [];
  const skipped: Skipped[] = [];
  for (const name of model.initializerNames()) {
    const init = model.getInitializer(name);
    if (!init) continue;
    const floatType = FLOAT_TYPES.get(init.dataType);
    if (floatType === undefined && init.dataType !== DataType.DOUBLE) continue; // ints, bools: not weights
    const d = decide(readers, init, floatType, outputs, globs, opts.minSize, opts.vectors ?? false);
    if (typeof d === 'string') skipped.push({ init, reason: d });
    else candidates.push(d);
  }
  return { candidates, skipped };
}

/** The tensor-selection parameters every weight compressor shares (int8, int4, ...): declared once. */
export const SELECTION_PARAMS: readonly ParamSpec[] = Object.freeze([
  {
    name: 'min-size',
    type: 'integer',
    min: 1,
    default: 1024,
    description: 'weights with fewer elements stay float (their scales would cost more than they save)',
  },
  {
    name: 'include',
    type: 'string[]',
    default: [],
    description: 'only quantize weights whose initializer name or consumer node name matches one of these globs (empty: all)',
  },
  {
    name: 'exclude',
    type: 'string[]',
    default: [],
    description: 'never quantize weights whose initializer name or consumer node name matches one of these globs',
  },
]);
