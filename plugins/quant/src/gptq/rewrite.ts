/**
 * GPTQ over an OnnxModel: which MatMul weights, calibration (sequential or in one pass), the solve
 * per weight (math.ts), and the MatMulNBits edit, through @mc-kit/core's model API only.
 *
 * Sequential (default, the paper's setting): targets are grouped in stages (core planStages: q/k/v
 * of one block together, then the output projection, ...); each stage is captured on the model as
 * it is after the stages before it were quantized, so every layer is calibrated on the inputs the
 * quantized model really gives it. Not sequential: one capture of the float model for all layers.
 * In both cases the graph changes only after a stage's weights are all solved.
 */
import {
  captureActivations,
  DataType,
  ErrorCodes,
  hessianOf,
  mergeStats,
  planStages,
  nothingQualifies,
  selectWeights,
  skipItemOf,
  skipSummaryLines,
  throwIfAborted,
  UserError,
  type ActivationStats,
  type CalibrationSource,
  type CaptureTarget,
  type OnnxModel,
  type RunContext,
  type SelectOptions,
  type SkippedWeight,
  type TensorReport,
} from '@mc-kit/core';
import { encodeFloats } from '../int8/float-types.js';
import { firstNonFinite, type Scheme } from '../int8/math.js';
import { SCALE_DATA_TYPE } from '../int8/rewrite.js';
import { planEncodings, type Plan } from '../int4/plan.js';
import { MS_DOMAIN } from '../int4/rewrite.js';
import { gptqQuantize, type GptqBits, type GptqResult } from './math.js';
import { packGptq, storedBitsOf, type PackedNBits } from './pack.js';

export interface GptqWeightOptions extends SelectOptions {
  readonly bits: GptqBits;
  readonly groupSize: number;
  readonly scheme: Scheme;
  readonly damp: number;
  readonly actOrder: boolean;
  readonly sequential: boolean;
  readonly accuracyLevel: number;
}

export interface GptqWeightsResult {
  readonly tensors: TensorReport[];
  readonly notes: string[];
  readonly bitsPerWeight: number;
}

interface Solved {
  readonly plan: Plan;
  readonly result: GptqResult;
  readonly packed: PackedNBits;
}

const INT = 2; // AttributeProto.AttributeType.INT
const intAttr = (name: string, i: number) => ({ name, type: INT, i });

const GPTQ_SCOPE_HINT = 'gptq quantizes 2-D float weights read by MatMul nodes (linear layers); for Conv, Gemm or embeddings use --method int4 or int8';

/** The plans GPTQ takes (2-D MatMul weights, float32/float16), and skips with reasons for the rest. */
function selectTargets(model: OnnxModel, opts: GptqWeightOptions): { plans: Plan[]; skipped: SkippedWeight[] } {
  const { candidates, skipped } = selectWeights(model, opts);
  const { plans, skips } = planEncodings(model, candidates, model.opset('') ?? 1); // only its MatMulNBits plans are GPTQ's
  const all: SkippedWeight[] = [...skipped, ...skips.map((s) => ({ init: s.c.init, reason: s.reason }))];
  const mine: Plan[] = [];
  for (const p of plans) {
    if (p.encoding === 'MatMulNBits') mine.push(p);
    else all.push({ init: p.c.init, reason: `not a MatMul weight (${p.c.role}): GPTQ needs a linear layer's input; chain --method int4 or int8 to quantize it`, cause: 'not a 2-D MatMul weight (GPTQ needs a linear layer\'s input)', hint: 'chain --method int4 or int8 to quantize them' });
  }
  return { plans: mine, skipped: all };
}

/** One capture target per MatMul reading the weight (a weight shared by two MatMuls has two inputs). */
function targetsOf(plans: readonly Plan[]): CaptureTarget[] {
  return plans.flatMap((p) => p.matmuls.map((node) => ({ weight: p.c.init.name, tensor: node.input?.[0] ?? '', features: p.layout.dim })));
}

/**
 * A weight read by MatMuls at different depths is solved once, in the stage of its deepest reader,
 * with all its inputs captured there (the model is still float up to it for that weight).
 */
function byWeightStages(stages: readonly CaptureTarget[][]): CaptureTarget[][] {
  const last = new Map<string, number>();
  stages.forEach((stage, i) => stage.forEach((t) => last.set(t.weight, i)));
  const out: CaptureTarget[][] = stages.map(() => []);
  stages.forEach((stage) => stage.forEach((t) => out[last.get(t.weight) as number].push(t)));
  return out.filter((s) => s.length > 0);
}

/** H of a weight: the merged statistics of every input it multiplies. */
function hessianFor(plan: Plan, stats: Map<string, ActivationStats>): Float64Array {
  const parts = plan.matmuls.map((n) => stats.get(n.input?.[0] ?? '') as ActivationStats);
  return hessianOf(parts.reduce((a, b) => mergeStats(a, b)));
}

function solve(plan: Plan, H: Float64Array, opts: GptqWeightOptions): Solved {
  const w = plan.c.init.readFloat32();
  const bad = firstNonFinite(w);
  if (bad >= 0) {
    throw new UserError(ErrorCodes.BAD_MODEL, `weight ${plan.c.init.name} holds ${w[bad]} at element ${bad}`, { hint: 'the model file has non-finite weights; fix or re-export it before compressing' });
  }
  const { dim: K, inner: N } = plan.layout;
  const result = gptqQuantize(w, K, N, H, { bits: opts.bits, scheme: opts.scheme, groupSize: opts.groupSize, damp: opts.damp, actOrder: opts.actOrder, scaleType: plan.c.floatType });
  return { plan, result, packed: packGptq(result) };
}

/** MatMulNBits (bits as stored) in place of every MatMul reading the weight. */
function applyNBits(model: OnnxModel, s: Solved, accuracyLevel: number): void {
  const name = s.plan.c.init.name;
  const t = s.packed;
  const scaleType = s.plan.c.floatType;
  const bName = model.uniqueName(`${name}_q${t.bits}`);
  const sName = model.uniqueName(`${name}_scales`);
  const zName = t.zeroPoints ? model.uniqueName(`${name}_zp`) : undefined;
  model.removeInitializer(name);
  model.setInitializer(bName, DataType.UINT8, [t.N, t.kBlocks, (t.blockSize * t.bits) / 8], t.B);
  model.setInitializer(sName, SCALE_DATA_TYPE[scaleType], [t.scales.length], encodeFloats(t.scales, scaleType));
  if (zName && t.zeroPoints) model.setInitializer(zName, DataType.UINT8, [t.zeroPoints.length], t.zeroPoints);
  const attribute = [intAttr('K', t.K), intAttr('N', t.N), intAttr('bits', t.bits), intAttr('block_size', t.blockSize), intAttr('accuracy_level', accuracyLevel)];
  for (const node of s.plan.matmuls) {
    const a = node.input?.[0] ?? '';
    model.removeNode(node);
    model.addNode({ opType: 'MatMulNBits', domain: MS_DOMAIN, name: node.name, input: zName ? [a, bName, sName, zName] : [a, bName, sName], output: [...(node.output ?? [])], attribute });
  }
}

/** Quantize the selected MatMul weights of `model` in place with GPTQ. */
export async function quantizeGptqWeights(model: OnnxModel, opts: GptqWeightOptions, ctx: RunContext): Promise<GptqWeightsResult> {
  const order = new Map(model.initializerNames().map((n, i) => [n, i]));
  const { plans, skipped } = selectTargets(model, opts);
  if (plans.length === 0) {
    throw nothingQualifies('gptq', skipped.map(skipItemOf), GPTQ_SCOPE_HINT);
  }
  const calibration: CalibrationSource | undefined = ctx.calibration;
  if (!calibration) {
    throw new UserError(ErrorCodes.BAD_PARAM, 'gptq needs calibration data and none was given', {
      hint: 'pass --calib-dataset <text dataset> (a folder, .jsonl or .txt that mc eval reads); --calib-samples and --calib-seqlen set how much',
    });
  }
  const set = await calibration.load();

  const byWeight = new Map(plans.map((p) => [p.c.init.name, p]));
  const targets = targetsOf(plans);
  const stages = opts.sequential ? byWeightStages(planStages(model, targets)) : [targets];
  const solved: Solved[] = [];
  if (model.opset(MS_DOMAIN) === undefined) model.setOpset(MS_DOMAIN, 1);
  const task = ctx.progress.start('gptq', plans.length);
  try {
    for (const [i, stage] of stages.entries()) {
      const stats = await captureActivations(model, stage, set, ctx, { label: `gptq: calibrating stage ${i + 1}/${stages.length}` });
      const weights = [...new Set(stage.map((t) => t.weight))].map((w) => byWeight.get(w) as Plan);
      const done: Solved[] = [];
      for (const plan of weights) {
        throwIfAborted(ctx.signal);
        task.update(`gptq ${plan.c.init.name}`);
        done.push(solve(plan, hessianFor(plan, stats), opts));
        task.tick();
      }
      for (const s of done) applyNBits(model, s, opts.accuracyLevel);
      solved.push(...done);
    }
  } catch (e) {
    task.fail();
    throw e;
  }

  const tensors: TensorReport[] = [];
  let bits = 0;
  let weights = 0;
  for (const s of solved) {
    const stored = storedBitsOf(s.packed, s.plan.c.floatType);
    const elements = s.plan.c.init.elementCount;
    bits += stored;
    weights += elements;
    tensors.push({
      name: s.plan.c.init.name,
      action: `gptq-${opts.bits}bit`,
      ...(s.result.deadColumns ? { reason: `${s.result.deadColumns} dead inputs (never active in calibration) set to 0` } : {}),
      shape: [...s.plan.c.init.dims],
      elements,
      bytesBefore: s.plan.c.init.byteLength,
      bytesAfter: stored / 8,
      bitsPerWeight: stored / elements,
    });
  }
  for (const s of skipped) {
    const b = s.init.byteLength;
    tensors.push({ name: s.init.name, action: 'skipped', reason: s.reason, shape: [...s.init.dims], elements: s.init.elementCount, bytesBefore: b, bytesAfter: b });
  }
  tensors.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  const bitsPerWeight = bits / weights;
  task.done(`gptq: ${solved.length} tensors, ${bitsPerWeight.toFixed(3)} bits/weight`);

  const info = set.info;
  const grown = solved.filter((s) => s.result.dampUsed !== opts.damp);
  const notes = [
    `${solved.length} of ${solved.length + skipped.length} float initializers quantized by GPTQ (${opts.bits}-bit ${opts.scheme}, group ${opts.groupSize}, damp ${opts.damp}${opts.actOrder ? ', act-order with static groups' : ''}) as MatMulNBits bits=${solved[0].packed.bits}: ${weights} weights at ${bitsPerWeight.toFixed(4)} bits each`,
    opts.bits === 3 ? "3-bit codes are stored in MatMulNBits' 4-bit form (onnxruntime's CPU kernel takes bits 2, 4 and 8): bits/weight counts the 4-bit storage" : undefined,
    opts.sequential
      ? `sequential: ${stages.length} stage${stages.length === 1 ? '' : 's'}, each calibrated on the output of the stages already quantized`
      : 'not sequential: every layer calibrated on the float model in one pass',
    `calibration: ${info.samples} windows of ${info.seqlen} tokens from ${info.dataset}${info.provider ? ` (${info.provider})` : ''}, seed ${info.seed}${info.digest ? `, sha256 ${info.digest.slice(0, 12)}` : ''}`,
    ...skipSummaryLines(skipped.map(skipItemOf), 'left float'),
    grown.length ? `damping raised for ${grown.map((s) => `${s.plan.c.init.name} (${s.result.dampUsed})`).join(', ')}: H was not positive definite at --damp ${opts.damp}` : undefined,
  ].filter((n): n is string => n !== undefined);
  return { tensors, notes, bitsPerWeight };
}
