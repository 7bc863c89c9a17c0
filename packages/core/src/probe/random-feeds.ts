/**
 * Random probe inputs shaped from the graph's own inputs, seeded, with nothing else known about the
 * model: floats from a standard normal; symbolic dims given small sizes (the first dim of an input
 * is a batch of 2, a dim whose name says "past" is an empty cache, any other 16), one size per dim
 * name so inputs that share a name agree; integers only where their meaning can be read off the graph
 * (indices into an embedding table: below its row count) or off an LM export's input names (the
 * feeds the LM adapter builds). An integer or bool input with no such meaning (silero-vad's sample
 * rate `sr`) makes probing impossible: the plan then says why instead of guessing.
 */
import { DataType, float32ToFloat16 } from '../onnx/dtypes.js';
import type { OnnxModel, ValueInfoProto } from '../onnx/model.js';
import { toNumber } from '../onnx/proto.js';
import { buildFeeds, inputSpecs } from '../lm/feeds.js';
import type { Rng } from '../contracts.js';
import { isMcError } from '../errors.js';
import type { HostTensor, TensorElementType } from '../session/types.js';

export type Feeds = Record<string, HostTensor>;

export interface ProbePlan {
  readonly feeds: readonly Feeds[];
  /** what the probes are, in words (for the result) */
  readonly description: string;
}

export type Planned = ProbePlan | { readonly notMeasured: string };

export const PROBE_SHAPE = Object.freeze({ batch: 2, length: 16, past: 0 });
/** Elements of one probe's inputs, all together, past which probing is not attempted (128 MiB of float32). */
export const MAX_PROBE_ELEMENTS = 2 ** 25;

const ELEMENT: Partial<Record<number, TensorElementType>> = {
  [DataType.FLOAT]: 'float32', [DataType.FLOAT16]: 'float16', [DataType.INT64]: 'int64', [DataType.INT32]: 'int32',
  [DataType.INT8]: 'int8', [DataType.UINT8]: 'uint8', [DataType.BOOL]: 'bool',
};

/** One standard normal draw (Box-Muller on the seeded generator). */
function normal(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * Rows of the embedding tables an integer input indexes (Gather data, read along the Gather's axis),
 * the smallest if several; undefined when no Gather with a known table reads it as indices.
 */
export function indexRange(model: OnnxModel, name: string): number | undefined {
  let rows: number | undefined;
  for (const { node, inputIndex } of model.consumers(name)) {
    if (node.opType !== 'Gather' || inputIndex !== 1 || (node.domain ?? '') !== '') continue;
    const dims = tableDims(model, node.input?.[0] ?? '');
    if (!dims) continue;
    const axisAttr = node.attribute?.find((a) => a.name === 'axis')?.i;
    const axis = axisAttr === undefined || axisAttr === null ? 0 : toNumber(axisAttr);
    const d = dims[axis < 0 ? axis + dims.length : axis];
    if (d !== undefined && d > 0) rows = Math.min(rows ?? d, d);
  }
  return rows;
}

function tableDims(model: OnnxModel, name: string): number[] | undefined {
  const init = model.getInitializer(name);
  if (init) return [...init.dims];
  const constant = model.producer(name);
  const value = constant?.opType === 'Constant' ? constant.attribute?.find((a) => a.name === 'value')?.t : undefined;
  return value ? (value.dims ?? []).map((d) => toNumber(d)) : undefined;
}

/** The graph inputs a caller feeds (IR < 4 models list initializers as inputs too). */
function fedInputs(model: OnnxModel): ValueInfoProto[] {
  const inits = new Set(model.initializerNames());
  return model.inputs.filter((v) => !inits.has(v.name ?? ''));
}

export function randomProbes(model: OnnxModel, count: number, rng: Rng, config?: Record<string, unknown>): Planned {
  const fed = fedInputs(model);
  if (fed.length === 0) return { notMeasured: 'the model takes no inputs' };
  if (fed.some((v) => v.name === 'input_ids')) return lmProbes(model, count, rng, config);
  return genericProbes(model, fed, count, rng);
}

/** Token windows through the LM adapter's feeds (mask, positions, empty past, use_cache_branch). */
function lmProbes(model: OnnxModel, count: number, rng: Rng, config: Record<string, unknown> = {}): Planned {
  const vocab = indexRange(model, 'input_ids') ?? (typeof config.vocab_size === 'number' ? config.vocab_size : undefined);
  if (!vocab) return { notMeasured: 'input_ids indexes no embedding table mc can find, and config.json gives no vocab_size' };
  const { batch, length } = PROBE_SHAPE;
  try {
    const specs = inputSpecs(model.inputs, new Set(model.initializerNames()));
    const feeds = Array.from({ length: count }, () => {
      const inputs = Int32Array.from({ length: batch * length }, () => rng.int(vocab));
      return buildFeeds(specs, { batch, length, inputs, targets: new Int32Array(batch * length) }, config);
    });
    return { feeds, description: `${batch} x ${length} random token ids below ${vocab} per probe, fed as mc eval feeds a causal LM` };
  } catch (e) {
    if (isMcError(e)) return { notMeasured: e.message };
    throw e;
  }
}

function genericProbes(model: OnnxModel, fed: readonly ValueInfoProto[], count: number, rng: Rng): Planned {
  const sizes = new Map<string, number>();
  const shapes: { name: string; type: TensorElementType; dims: number[]; fill: (i: number, dims: number[]) => number }[] = [];
  const ranges: string[] = [];
  let total = 0;
  for (const v of fed) {
    const name = v.name ?? '';
    const tensor = v.type?.tensorType;
    const type = ELEMENT[tensor?.elemType ?? 0];
    if (!type) return { notMeasured: `input "${name}" is not a tensor of a type mc can feed (${DataType[tensor?.elemType ?? 0] ?? 'no tensor type'})` };
    const dims = (tensor?.shape?.dim ?? []).map((d, i) => {
      if (d.dimValue !== undefined && d.dimValue !== null && !d.dimParam && toNumber(d.dimValue) >= 0) return toNumber(d.dimValue);
      const key = d.dimParam || `${name}:${i}`;
      if (!sizes.has(key)) sizes.set(key, /past/i.test(key) ? PROBE_SHAPE.past : i === 0 ? PROBE_SHAPE.batch : PROBE_SHAPE.length);
      return sizes.get(key)!;
    });
    const elements = dims.reduce((a, d) => a * d, 1);
    total += elements;
    if (total > MAX_PROBE_ELEMENTS) return { notMeasured: `input "${name}" [${dims.join(', ')}] makes a probe of more than ${MAX_PROBE_ELEMENTS} elements` };
    if (type === 'float32' || type === 'float16') {
      shapes.push({ name, type, dims, fill: () => normal(rng) });
      continue;
    }
    const fill = integerFill(model, name, type, rng);
    if (typeof fill === 'string') return { notMeasured: fill };
    ranges.push(fill.says);
    shapes.push({ name, type, dims, fill: fill.value });
  }
  const feeds = Array.from({ length: count }, () => Object.fromEntries(shapes.map((s) => [s.name, tensorOf(s.type, s.dims, (i) => s.fill(i, s.dims))])));
  const symbolic = [...sizes].filter(([k]) => !k.includes(':')).map(([k, n]) => `${k}=${n}`);
  const description = [
    'standard normal floats',
    ...ranges,
    `inputs ${shapes.map((s) => `${s.name} [${s.dims.join(', ')}]`).join(', ')}`,
    ...(symbolic.length ? [`symbolic dims ${symbolic.join(', ')}`] : []),
  ].join('; ');
  return { feeds, description };
}

/** Values for an integer or bool input whose meaning the graph or its name tells; otherwise why not. */
function integerFill(model: OnnxModel, name: string, type: TensorElementType, rng: Rng): { value: (i: number, dims: number[]) => number; says: string } | string {
  if (type !== 'bool') {
    const rows = indexRange(model, name);
    if (rows !== undefined) return { value: () => rng.int(rows), says: `${name} uniform below ${rows} (rows of the table it indexes)` };
    if (name === 'attention_mask') return { value: () => 1, says: 'attention_mask all ones' };
    if (name === 'position_ids') return { value: (i, dims) => i % (dims[dims.length - 1] || 1), says: 'position_ids 0, 1, 2, ...' };
    if (name === 'token_type_ids') return { value: () => 0, says: 'token_type_ids zeros' };
  }
  return `input "${name}" is ${type} and mc cannot tell which values it takes (it indexes no embedding table); give --probe-dataset, or --probes 0`;
}

/** A tensor of `type` with value(i) at flat index i (floats rounded to float16 bits where asked). */
function tensorOf(type: TensorElementType, dims: readonly number[], value: (i: number) => number): HostTensor {
  const n = dims.reduce((a, d) => a * d, 1);
  const data = arrayOf(type, n);
  if (data instanceof BigInt64Array) for (let i = 0; i < n; i++) data[i] = BigInt(value(i));
  else if (type === 'float16') for (let i = 0; i < n; i++) data[i] = float32ToFloat16(value(i));
  else for (let i = 0; i < n; i++) data[i] = value(i);
  return { type, data, dims: [...dims] };
}

function arrayOf(type: TensorElementType, n: number): HostTensor['data'] {
  switch (type) {
    case 'float32': return new Float32Array(n);
    case 'float16': return new Uint16Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'int32': return new Int32Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8':
    case 'bool': return new Uint8Array(n);
  }
}
