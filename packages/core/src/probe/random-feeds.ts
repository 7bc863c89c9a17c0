/**
 * Random probe inputs shaped from a model's declared graph inputs, seeded, so two versions of one
 * model (before and after an opset upgrade, dense and compressed) run on the same data. One
 * generator (randomFeeds) serves both uses; a FeedRecipe holds what differs between them:
 *
 *   - sizes for symbolic (or missing) dims, one size per dim name so inputs that share a name agree:
 *     the leading axis is a batch, a dim whose name says "past" is an empty KV cache (0), spatial
 *     axes of an image-like input (rank 4 and up, axis 2 on) may get their own size, any other gets
 *     `length`;
 *   - floats uniform in [-1, 1) or standard normal;
 *   - integers: where the graph tells their meaning (indices into an embedding table: below its row
 *     count) or an LM export's input name does (attention_mask ones, position_ids 0, 1, 2, ...,
 *     token_type_ids zeros), those values; otherwise either 0 or 1 ('bits': valid as ids, masks and
 *     positions alike, enough where only equality of two runs matters) or no probe at all ('refuse':
 *     drift measured on values the model never sees would mean nothing; silero-vad's sample rate).
 *
 * The opset upgrade's check (onnx/opset/verify.ts) uses CHECK_RECIPE through probeFeeds, trying the
 * size plans of SIZE_PLANS until the original model runs; the drift measurement (drift.ts) uses
 * DRIFT_RECIPE through randomProbes, which feeds an LM export as `mc eval` does. Initializers that
 * an old export also lists as graph inputs keep their stored values and are not fed.
 */
import type { Rng } from '../contracts.js';
import { ErrorCodes, isMcError, UserError } from '../errors.js';
import { buildFeeds, inputSpecs } from '../lm/feeds.js';
import { DataType, float32ToFloat16 } from '../onnx/dtypes.js';
import type { OnnxModel, ValueInfoProto } from '../onnx/model.js';
import { toNumber } from '../onnx/proto.js';
import { createRng } from '../rng.js';
import { hostArray } from '../session/host-array.js';
import type { HostTensor, TensorElementType } from '../session/types.js';

export type Feeds = Record<string, HostTensor>;

export interface ProbePlan {
  readonly feeds: readonly Feeds[];
  /** what the probes are, in words (for the result) */
  readonly description: string;
}

export type Planned = ProbePlan | { readonly notMeasured: string };

export interface FeedRecipe {
  /** the leading axis of every input */
  readonly batch: number;
  /** any other symbolic dim */
  readonly length: number;
  /** axes 2 and on of a rank-4-or-more input (default: length) */
  readonly imageSide?: number;
  readonly floats: 'uniform' | 'normal';
  /** an integer or bool input whose meaning the graph does not tell */
  readonly unknownIntegers: 'bits' | 'refuse';
}

/** Drift: batch 2, length 16, standard normal floats, no guessed integers. */
export const DRIFT_RECIPE: FeedRecipe = Object.freeze({
  batch: 2,
  length: 16,
  floats: 'normal',
  unknownIntegers: 'refuse',
});
/** Equality checks (opset upgrade): batch 1, image sides 32, others 8, floats in [-1, 1), integers 0 or 1 where nothing says more. */
export const CHECK_RECIPE: FeedRecipe = Object.freeze({
  batch: 1,
  length: 8,
  imageSide: 32,
  floats: 'uniform',
  unknownIntegers: 'bits',
});

/** The drift probes' sizes (DRIFT_RECIPE), past length included. */
export const PROBE_SHAPE = Object.freeze({ batch: DRIFT_RECIPE.batch, length: DRIFT_RECIPE.length, past: 0 });
/** Elements of one probe's inputs, all together, past which probing is not attempted (128 MiB of float32). */
export const MAX_PROBE_ELEMENTS = 2 ** 25;

const ELEMENT: Partial<Record<number, TensorElementType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.BOOL]: 'bool',
};

export interface ProbeShape {
  readonly name: string;
  readonly type: TensorElementType;
  readonly dims: readonly number[];
}

/** The graph inputs a caller feeds (IR < 4 models list initializers as inputs too). */
function fedInputs(model: OnnxModel): ValueInfoProto[] {
  const inits = new Set(model.initializerNames());
  return model.inputs.filter((v) => !inits.has(v.name ?? ''));
}

function symbolicSize(key: string, axis: number, rank: number, recipe: FeedRecipe): number {
  if (/past/i.test(key)) return 0;
  if (axis === 0) return recipe.batch;
  return rank >= 4 && axis >= 2 ? (recipe.imageSide ?? recipe.length) : recipe.length;
}

/** The inputs to feed with the sizes `recipe` gives their symbolic dims, or why they cannot be fed. */
export function shapeInputs(
  model: OnnxModel,
  recipe: FeedRecipe,
): { shapes: ProbeShape[]; symbolic: Map<string, number> } | { notMeasured: string } {
  const symbolic = new Map<string, number>();
  const shapes: ProbeShape[] = [];
  let total = 0;
  for (const v of fedInputs(model)) {
    const name = v.name ?? '';
    const tensor = v.type?.tensorType;
    const type = ELEMENT[tensor?.elemType ?? 0];
    if (!tensor || !type) {
      return {
        notMeasured: `input "${name}" is not a tensor of a type mc can feed (${tensor ? (DataType[tensor.elemType ?? 0] ?? 'unknown') : 'not a tensor'}; mc feeds float32, float16, int64, int32, int8, uint8 and bool)`,
      };
    }
    const dimList = tensor.shape?.dim ?? [];
    const dims = dimList.map((d, axis) => {
      // protobufjs reads an unset dim_value as 0: a dim without a positive value is symbolic
      const value = d.dimParam ? 0 : toNumber(d.dimValue ?? 0);
      if (value > 0) return value;
      const key = d.dimParam || `${name}:${axis}`;
      if (!symbolic.has(key)) symbolic.set(key, symbolicSize(key, axis, dimList.length, recipe));
      return symbolic.get(key)!;
    });
    total += dims.reduce((a, d) => a * d, 1);
    if (total > MAX_PROBE_ELEMENTS)
      return {
        notMeasured: `input "${name}" [${dims.join(', ')}] makes a probe of more than ${MAX_PROBE_ELEMENTS} elements`,
      };
    shapes.push({ name, type, dims });
  }
  return { shapes, symbolic };
}

/** One standard normal draw (Box-Muller on the seeded generator). */
function normal(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** `count` seeded feeds for the model's inputs, with what they are in words; or why there can be none. */
export function randomFeeds(model: OnnxModel, count: number, rng: Rng, recipe: FeedRecipe): Planned {
  const shaped = shapeInputs(model, recipe);
  if ('notMeasured' in shaped) return shaped;
  const fills: ((i: number, dims: readonly number[]) => number)[] = [];
  const ranges: string[] = [];
  for (const s of shaped.shapes) {
    if (s.type === 'float32' || s.type === 'float16') {
      fills.push(recipe.floats === 'normal' ? () => normal(rng) : () => 2 * rng.next() - 1);
      continue;
    }
    const fill = integerFill(model, s.name, s.type, rng, recipe);
    if (typeof fill === 'string') return { notMeasured: fill };
    ranges.push(fill.says);
    fills.push(fill.value);
  }
  const feeds = Array.from({ length: count }, () =>
    Object.fromEntries(shaped.shapes.map((s, k) => [s.name, tensorOf(s.type, s.dims, (i) => fills[k](i, s.dims))])),
  );
  const symbolic = [...shaped.symbolic].filter(([k]) => !k.includes(':')).map(([k, n]) => `${k}=${n}`);
  const description = [
    recipe.floats === 'normal' ? 'standard normal floats' : 'floats uniform in [-1, 1)',
    ...ranges,
    `inputs ${shaped.shapes.map((s) => `${s.name} [${s.dims.join(', ')}]`).join(', ')}`,
    ...(symbolic.length ? [`symbolic dims ${symbolic.join(', ')}`] : []),
  ].join('; ');
  return { feeds, description };
}

/** Values for an integer or bool input: what the graph or its name tells, else per the recipe. */
function integerFill(
  model: OnnxModel,
  name: string,
  type: TensorElementType,
  rng: Rng,
  recipe: FeedRecipe,
): { value: (i: number, dims: readonly number[]) => number; says: string } | string {
  if (type !== 'bool') {
    const rows = indexRange(model, name);
    if (rows !== undefined)
      return { value: () => rng.int(rows), says: `${name} uniform below ${rows} (rows of the table it indexes)` };
    if (name === 'attention_mask') return { value: () => 1, says: 'attention_mask all ones' };
    if (name === 'position_ids')
      return { value: (i, dims) => i % (dims[dims.length - 1] || 1), says: 'position_ids 0, 1, 2, ...' };
    if (name === 'token_type_ids') return { value: () => 0, says: 'token_type_ids zeros' };
  }
  if (recipe.unknownIntegers === 'bits') return { value: () => (rng.next() < 0.5 ? 0 : 1), says: `${name} 0 or 1` };
  return `input "${name}" is ${type} and mc cannot tell which values it takes (it indexes no embedding table); give --probe-dataset, or --probes 0`;
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

/** A tensor of `type` with value(i) at flat index i (floats rounded to float16 bits where asked). */
function tensorOf(type: TensorElementType, dims: readonly number[], value: (i: number) => number): HostTensor {
  const n = dims.reduce((a, d) => a * d, 1);
  const data = hostArray(type, n);
  if (data instanceof BigInt64Array) for (let i = 0; i < n; i++) data[i] = BigInt(value(i));
  else if (type === 'float16') for (let i = 0; i < n; i++) data[i] = float32ToFloat16(value(i));
  else for (let i = 0; i < n; i++) data[i] = value(i);
  return { type, data, dims: [...dims] };
}

// ---- drift: the dense model's probes ----

/** Drift probes (DRIFT_RECIPE); an LM export (it takes input_ids) gets token windows fed as mc eval feeds them. */
export function randomProbes(model: OnnxModel, count: number, rng: Rng, config?: Record<string, unknown>): Planned {
  const fed = fedInputs(model);
  if (fed.length === 0) return { notMeasured: 'the model takes no inputs' };
  if (fed.some((v) => v.name === 'input_ids')) return lmProbes(model, count, rng, config);
  return randomFeeds(model, count, rng, DRIFT_RECIPE);
}

/** Token windows through the LM adapter's feeds (mask, positions, empty past, use_cache_branch). */
function lmProbes(model: OnnxModel, count: number, rng: Rng, config: Record<string, unknown> = {}): Planned {
  const vocab =
    indexRange(model, 'input_ids') ?? (typeof config.vocab_size === 'number' ? config.vocab_size : undefined);
  if (!vocab)
    return { notMeasured: 'input_ids indexes no embedding table mc can find, and config.json gives no vocab_size' };
  const { batch, length } = PROBE_SHAPE;
  try {
    const specs = inputSpecs(model.inputs, new Set(model.initializerNames()));
    const feeds = Array.from({ length: count }, () => {
      const inputs = Int32Array.from({ length: batch * length }, () => rng.int(vocab));
      return buildFeeds(specs, { batch, length, inputs, targets: new Int32Array(batch * length) }, config);
    });
    return {
      feeds,
      description: `${batch} x ${length} random token ids below ${vocab} per probe, fed as mc eval feeds a causal LM`,
    };
  } catch (e) {
    if (isMcError(e)) return { notMeasured: e.message };
    throw e;
  }
}

// ---- equality checks: size plans tried in turn ----

/** 'shaped': CHECK_RECIPE's sizes (batch 1, image sides 32, others 8); a number: every non-batch symbolic dim that size. */
export type SizePlan = 'shaped' | number;
/** What a model accepts cannot be read from the file: plans tried in order until it runs (audio frames, long convolutions need more than 8). */
export const SIZE_PLANS: readonly SizePlan[] = Object.freeze(['shaped', 1, 64, 512]);

function checkRecipe(plan: SizePlan): FeedRecipe {
  return plan === 'shaped' ? CHECK_RECIPE : { ...CHECK_RECIPE, length: plan, imageSide: plan };
}

function refuse(reason: string): never {
  throw new UserError(ErrorCodes.UNSUPPORTED, `cannot make probe inputs: ${reason}`, {
    hint: "mc checks a rewritten model by running it on random inputs shaped from the graph's inputs",
  });
}

/** The inputs to feed, with the sizes `plan` gives their symbolic dimensions (E_UNSUPPORTED where an input cannot be fed). */
export function probeShapes(model: OnnxModel, plan: SizePlan = 'shaped'): ProbeShape[] {
  const shaped = shapeInputs(model, checkRecipe(plan));
  if ('notMeasured' in shaped) refuse(shaped.notMeasured);
  return shaped.shapes;
}

/** `count` seeded feeds for the model's inputs under CHECK_RECIPE and `plan`. */
export function probeFeeds(model: OnnxModel, count: number, seed: number, plan: SizePlan = 'shaped'): Feeds[] {
  const planned = randomFeeds(model, count, createRng(seed), checkRecipe(plan));
  if ('notMeasured' in planned) refuse(planned.notMeasured);
  return [...planned.feeds];
}
