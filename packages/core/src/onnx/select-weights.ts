/**
 * Which initializers a weight compressor (int8, int4, hyper, prune) rewrites (spec quantization.md
 * §1), and the reason for every float initializer it leaves alone. Only reads the graph. The weight
 * slots of each op (MatMul, Gemm, Conv, ConvTranspose, Gather, LSTM/GRU/RNN) are in weight-roles.ts.
 *
 * A weight keeps its name: the DequantizeLinear that replaces it outputs that name, so every
 * consumer still reads it unchanged. A tensor is therefore quantized only when EVERY consumer uses it
 * as a weight (with one output-channel axis); one other consumer (an Add, MatMul's input 0, ...)
 * means the tensor is not a weight and it is skipped.
 */
import picomatch from 'picomatch';
import type { ParamSpec } from '../params.js';
import { DataType, dataTypeName } from './dtypes.js';
import type { Consumer, Initializer, NodeProto, OnnxModel } from './model.js';
import { isBiasOrNormSlot, weightRole } from './weight-roles.js';

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
  /** the axis one output sums over (MatMul's K, a Conv's input channels, an LSTM's input features): where int4 blocks run */
  readonly reductionAxis: number;
  readonly floatType: FloatType;
  /** e.g. "MatMul input 1" */
  readonly role: string;
}

export interface Skipped {
  readonly init: Initializer;
  /** this tensor's reason, naming the node that reads it */
  readonly reason: string;
  /** the reason without this tensor's particulars, shared by every tensor skipped for it (skip-summary.ts groups by it; absent: `reason`) */
  readonly cause?: string;
  /** what the user can do, where anything helps */
  readonly hint?: string;
}

/** A skip: `reason` for this tensor, `cause` for the summary line (the same text when nothing is tensor-specific). */
interface Why {
  readonly reason: string;
  readonly cause: string;
  readonly hint?: string;
}
const why = (reason: string, cause = reason, hint?: string): Why => ({
  reason,
  cause,
  ...(hint === undefined ? {} : { hint }),
});

const FLOAT_TYPES: ReadonlyMap<DataType, FloatType> = new Map([
  [DataType.FLOAT, 'float32'],
  [DataType.FLOAT16, 'float16'],
  [DataType.BFLOAT16, 'bfloat16'],
]);

const where = (c: Consumer) => `${c.node.opType} input ${c.inputIndex}${c.node.name ? ` (${c.node.name})` : ''}`;

/** Compiled once per run: a model can have thousands of initializers. */
interface Globs {
  readonly include: readonly [string, (name: string) => boolean][];
  readonly exclude: readonly [string, (name: string) => boolean][];
}

const compile = (globs: readonly string[]) =>
  globs.map((g) => [g, picomatch(g, { dot: true })] as [string, (n: string) => boolean]);

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

/** Decide for one float initializer: a Candidate, or why not. */
function decide(
  readers: ReadonlyMap<string, Consumer[]>,
  init: Initializer,
  floatType: FloatType | undefined,
  outputs: ReadonlySet<string>,
  globs: Globs,
  minSize: number,
  vectors: boolean,
): Candidate | Why {
  if (outputs.has(init.name)) return why('also a graph output');
  const consumers = readers.get(init.name) ?? [];
  if (consumers.length === 0) return why('not read by any node');
  const rank = init.dims.length;
  if (vectors && rank === 1) return decideVector(init, consumers, floatType, globs, minSize);
  const roles = consumers.map((c) => weightRole(c, rank));
  const other = consumers.find((_, i) => roles[i] === undefined);
  if (other) {
    return roles.every((r) => r === undefined)
      ? why(`not a weight input (feeds ${where(other)})`, `not a weight input (read by ${other.node.opType})`)
      : why(
          `also consumed by ${where(other)}, which is not a weight input`,
          `read as a weight and also as data (by ${other.node.opType})`,
        );
  }
  if (rank < 2) return why(`rank-${rank} tensor (a bias, norm parameter or lookup vector, not a weight matrix)`);
  if (new Set(roles.map((r) => r?.axis)).size > 1) {
    return why(
      `consumers disagree on the output-channel axis (${consumers.map(where).join(', ')})`,
      'its readers disagree on the output-channel axis',
    );
  }
  if (floatType === undefined) {
    const type = dataTypeName(init.dataType);
    return why(
      `${type} weights are not supported (DequantizeLinear outputs float32, float16 or bfloat16)`,
      `${type} weights are not supported`,
      'export the model in float32 (DequantizeLinear outputs float32, float16 or bfloat16)',
    );
  }
  const role = roles[0]!;
  return (
    filtered(init, consumers, globs, minSize) ?? {
      init,
      axis: role.axis,
      reductionAxis: role.reductionAxis,
      floatType,
      role: where(consumers[0]),
    }
  );
}

/** The user's filters (globs on the tensor's and its readers' names, the size floor): why it is left out, or undefined. */
function filtered(init: Initializer, consumers: readonly Consumer[], globs: Globs, minSize: number): Why | undefined {
  const names = [init.name, ...consumers.map((c) => c.node.name ?? '').filter((n) => n !== '')];
  const excludedBy = firstMatch(globs.exclude, names);
  if (excludedBy !== undefined) return why(`excluded by --exclude ${excludedBy}`, 'excluded by --exclude');
  if (globs.include.length > 0 && firstMatch(globs.include, names) === undefined) {
    const patterns = globs.include.map(([g]) => g).join(',');
    return why(
      `not matched by --include ${patterns}`,
      `not matched by --include ${patterns}`,
      'compare the patterns with the weight and node names (`mc inspect --json` lists every weight)',
    );
  }
  if (init.elementCount < minSize) {
    return why(
      `${init.elementCount} elements < --min-size ${minSize}`,
      `fewer than --min-size ${minSize} elements`,
      `lower --min-size (now ${minSize}) to take them`,
    );
  }
  return undefined;
}

/** A rank-1 tensor under SelectOptions.vectors: a Candidate (axis 0) when every reader uses it as a parameter. */
function decideVector(
  init: Initializer,
  consumers: readonly Consumer[],
  floatType: FloatType | undefined,
  globs: Globs,
  minSize: number,
): Candidate | Why {
  const other = consumers.find((c) => !isBiasOrNormSlot(c));
  if (other)
    return why(
      `rank-1 tensor read by ${where(other)}, not as a bias or norm parameter`,
      `rank-1 tensor not read as a bias or norm parameter (by ${other.node.opType})`,
    );
  if (floatType === undefined) return why(`${dataTypeName(init.dataType)} tensors are not supported`);
  return (
    filtered(init, consumers, globs, minSize) ?? {
      init,
      axis: 0,
      reductionAxis: 0,
      floatType,
      role: where(consumers[0]),
    }
  );
}

/** Every float initializer in the graph, split into what to quantize and what to leave (with why). */
export function selectWeights(model: OnnxModel, opts: SelectOptions): { candidates: Candidate[]; skipped: Skipped[] } {
  // A graph input that is also an initializer (keep_initializers_as_inputs, IR < 4) is a weight with
  // an overridable default; removeInitializer drops its input entry, as onnxruntime's quantizer does.
  // Weights held in Constant nodes or subgraphs are made initializers first (hoist-weights.ts, run
  // by compressModel), so they are seen here like any other.
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
    if ('init' in d) candidates.push(d);
    else skipped.push({ init, ...d });
  }
  return { candidates, skipped };
}

/** The tensor-selection parameters every weight compressor shares (int8, int4, ...): declared once. */
export const SELECTION_PARAMS = Object.freeze([
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
    description:
      'only quantize weights whose initializer name or consumer node name matches one of these globs (empty: all)',
  },
  {
    name: 'exclude',
    type: 'string[]',
    default: [],
    description: 'never quantize weights whose initializer name or consumer node name matches one of these globs',
  },
] as const satisfies readonly ParamSpec[]);
