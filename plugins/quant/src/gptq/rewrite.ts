/**
 * GPTQ over an OnnxModel: which weights, calibration (sequential or in one pass), the solve per
 * weight (math.ts), and the edit, through @mc-kit/core's model API only.
 *
 * MatMul weights become MatMulNBits (bits 2, 3 in 4, 4, 8). Conv and Gemm weights are solved along
 * their input dimension in im2col order (blocks.ts: W viewed as [Cout, Cin/group·Πk], one Hessian
 * per group, from patches captured in onnxruntime) and stored exactly as int4 stores them at the
 * model's opset (blocked DequantizeLinear at 21, raised there by the same verified upgrade unless
 * --keep-opset; nibbles below): 4-bit codes, so --bits 3 or 4 only for them.
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
  describeCalibration,
  ErrorCodes,
  findWeightTargets,
  hessianOf,
  mergeStats,
  planStages,
  nothingQualifies,
  relativeError,
  selectWeights,
  skipItemOf,
  skipSummaryLines,
  statsOf,
  initializerOrder,
  rewriteTensors,
  skippedTensorRow,
  type TensorLoop,
  unsupportedWeightReaders,
  UserError,
  type ActivationStats,
  type CalibrationSource,
  type CaptureResult,
  type CaptureTarget,
  type OnnxModel,
  type RunContext,
  type SelectOptions,
  type SkippedWeight,
  type TensorReport,
} from '@mc-kit/core';
import { encodeFloats, SCALE_DATA_TYPE } from '../grid/float-types.js';
import { firstNonFinite, type Scheme } from '../int8/math.js';
import { nibbleSharedBits } from '../int4/nibbles.js';
import { BLOCKED_DQ_OPSET, planEncodings, type Plan } from '../int4/plan.js';
import { writeInt4Blocks } from '../int4/rewrite.js';
import { MS_DOMAIN } from '../nbits-groups.js';
import { chooseOpset } from '../opset-choice.js';
import { solveBlocks, type SolvedBlocks } from './blocks.js';
import { gptqQuantize, type GptqBits, type GptqResult } from './math.js';
import { matmulOutputError } from './output-error.js';
import { packGptq, storedBitsOf, type PackedNBits } from './pack.js';

export interface GptqWeightOptions extends SelectOptions {
  readonly bits: GptqBits;
  readonly groupSize: number;
  readonly scheme: Scheme;
  readonly damp: number;
  readonly actOrder: boolean;
  readonly sequential: boolean;
  readonly accuracyLevel: number;
  /** never raise the opset (Conv/Gemm weights then use int4's nibbles below opset 21) */
  readonly keepOpset?: boolean;
}

/** A tensor's report with its layer output error ||XW' - XW|| / ||XW|| on the calibration data. */
export interface GptqTensorReport extends TensorReport {
  readonly outputError?: number;
}

export interface GptqWeightsResult {
  readonly tensors: GptqTensorReport[];
  readonly notes: string[];
  readonly bitsPerWeight: number;
}

interface SolvedNBits {
  readonly kind: 'nbits';
  readonly plan: Plan;
  readonly result: GptqResult;
  readonly packed: PackedNBits;
  readonly outputError: number;
}

type Solved = SolvedNBits | (SolvedBlocks & { readonly kind: 'blocks'; readonly plan: Plan });

const INT = 2; // AttributeProto.AttributeType.INT
const intAttr = (name: string, i: number) => ({ name, type: INT, i });

const GPTQ_SCOPE_HINT =
  'gptq quantizes float weights read by MatMul (as MatMulNBits), Gemm and Conv nodes (as int4 stores them); for embeddings or ConvTranspose use --method int4 or int8';

/** Bits a Conv/Gemm weight can be stored at: int4's forms hold 4-bit codes (3-bit grids in them). */
const BLOCK_BITS: readonly number[] = [3, 4];

interface Selection {
  readonly plans: Plan[];
  readonly skipped: SkippedWeight[];
  /** Conv/Gemm weights: their capture targets (one per reading node) */
  readonly targets: Map<string, CaptureTarget[]>;
}

/**
 * The weights GPTQ takes at `opset`: MatMulNBits plans (2-D MatMul weights), and Conv/Gemm weights
 * whose every reader is a capture target with the plan's K; skips with reasons for the rest.
 */
function selectTargets(model: OnnxModel, opts: GptqWeightOptions, opset: number): Selection {
  const { candidates, skipped } = selectWeights(model, opts);
  const { plans, skips } = planEncodings(model, candidates, opset);
  const all: SkippedWeight[] = [...skipped, ...skips.map((s) => ({ init: s.c.init, reason: s.reason }))];
  const captured = new Map<string, CaptureTarget[]>();
  for (const t of findWeightTargets(
    model,
    candidates.map((c) => c.init.name),
  ))
    captured.set(t.weight, [...(captured.get(t.weight) ?? []), t]);
  const readers = new Map<string, number>();
  for (const n of model.nodes) for (const i of n.input ?? []) readers.set(i, (readers.get(i) ?? 0) + 1);
  const unsupported = unsupportedWeightReaders(model);
  const mine: Plan[] = [];
  for (const p of plans) {
    const name = p.c.init.name;
    if (p.encoding === 'MatMulNBits') {
      mine.push(p);
      continue;
    }
    const targets = captured.get(name) ?? [];
    const whole =
      targets.length > 0 && targets.length === readers.get(name) && targets.every((t) => t.features === p.layout.dim);
    if (whole && (p.encoding === 'DequantizeLinear-21' || p.encoding === 'nibbles') && BLOCK_BITS.includes(opts.bits)) {
      mine.push(p);
      captured.set(name, targets);
      continue;
    }
    const transposed = unsupported.get(name);
    const [reason, cause] = transposed
      ? [transposed.reason, 'read by ConvTranspose (one X^T X over patches does not describe it)']
      : whole && !BLOCK_BITS.includes(opts.bits)
        ? [
            `${p.c.role} weight: gptq stores Conv/Gemm weights in int4's 4-bit forms, so --bits ${opts.bits} applies to MatMul weights only`,
            `Conv/Gemm weights take --bits 3 or 4 only`,
          ]
        : [
            `not a MatMul, Gemm or Conv weight (${p.c.role}): GPTQ needs a layer's input; chain --method int4 or int8 to quantize it`,
            "not a MatMul, Gemm or Conv weight (GPTQ needs a layer's input)",
          ];
    all.push({ init: p.c.init, reason, cause, hint: 'chain --method int4 or int8 to quantize them' });
  }
  const targets = new Map(
    mine
      .filter((p) => p.encoding !== 'MatMulNBits')
      .map((p) => [p.c.init.name, captured.get(p.c.init.name) as CaptureTarget[]]),
  );
  return { plans: mine, skipped: all, targets };
}

/** Capture targets of every plan: one per MatMul reading a MatMulNBits weight (a weight shared by two MatMuls has two inputs), the Conv/Gemm targets as found. */
function targetsOf(plans: readonly Plan[], blockTargets: Map<string, CaptureTarget[]>): CaptureTarget[] {
  return plans.flatMap((p) =>
    p.encoding === 'MatMulNBits'
      ? p.matmuls.map((node) => ({ weight: p.c.init.name, tensor: node.input?.[0] ?? '', features: p.layout.dim }))
      : (blockTargets.get(p.c.init.name) ?? []),
  );
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

/**
 * H of a weight per group (one for MatMul/Gemm, Cout-groups of a Conv): the merged statistics of
 * every input it multiplies.
 */
function hessiansFor(plan: Plan, targets: readonly CaptureTarget[], stats: CaptureResult): Float64Array[] {
  const parts =
    plan.encoding === 'MatMulNBits'
      ? plan.matmuls.map((n) => [stats.get(n.input?.[0] ?? '') as ActivationStats])
      : targets.map((t) => statsOf(stats, t));
  return parts[0].map((_, g) => hessianOf(parts.map((p) => p[g]).reduce((a, b) => mergeStats(a, b))));
}

function readChecked(plan: Plan): Float32Array {
  const w = plan.c.init.readFloat32();
  const bad = firstNonFinite(w);
  if (bad >= 0) {
    throw new UserError(ErrorCodes.BAD_MODEL, `weight ${plan.c.init.name} holds ${w[bad]} at element ${bad}`, {
      hint: 'the model file has non-finite weights; fix or re-export it before compressing',
    });
  }
  return w;
}

function solve(plan: Plan, H: Float64Array[], opts: GptqWeightOptions): Solved {
  const w = readChecked(plan);
  const grid = {
    bits: opts.bits,
    scheme: opts.scheme,
    groupSize: opts.groupSize,
    damp: opts.damp,
    actOrder: opts.actOrder,
    scaleType: plan.c.floatType,
  };
  if (plan.encoding !== 'MatMulNBits') return { kind: 'blocks', plan, ...solveBlocks(w, plan.layout, H, grid) };
  const { dim: K, inner: N } = plan.layout;
  const result = gptqQuantize(w, K, N, H[0], grid);
  return {
    kind: 'nbits',
    plan,
    result,
    packed: packGptq(result),
    outputError: relativeError([matmulOutputError(w, result.dequantized, K, N, H[0])]),
  };
}

/** MatMulNBits (bits as stored) in place of every MatMul reading the weight. */
function applyNBits(model: OnnxModel, s: SolvedNBits, accuracyLevel: number): void {
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
  const attribute = [
    intAttr('K', t.K),
    intAttr('N', t.N),
    intAttr('bits', t.bits),
    intAttr('block_size', t.blockSize),
    intAttr('accuracy_level', accuracyLevel),
  ];
  for (const node of s.plan.matmuls) {
    const a = node.input?.[0] ?? '';
    model.removeNode(node);
    model.addNode({
      opType: 'MatMulNBits',
      domain: MS_DOMAIN,
      name: node.name,
      input: zName ? [a, bName, sName, zName] : [a, bName, sName],
      output: [...(node.output ?? [])],
      attribute,
    });
  }
}

/** What the Conv/Gemm solve did, for the notes. */
function blockNote(targets: readonly CaptureTarget[]): string | undefined {
  const conv = targets.some((t) => t.conv);
  const gemm = targets.some((t) => !t.conv);
  if (!conv && !gemm) return undefined;
  return [
    conv
      ? 'Conv weights solved along their inputs in im2col order (W as [Cout, Cin/group·kh·kw], one Hessian per group, over patches unfolded in onnxruntime)'
      : undefined,
    gemm ? 'Gemm weights along K' : undefined,
  ]
    .filter(Boolean)
    .join('; ');
}

/** What gptq works on, checked before any work: the plans at the opset chosen, the calibration set. */
async function prepare(model: OnnxModel, opts: GptqWeightOptions, ctx: RunContext) {
  const wanted = selectTargets(model, opts, Infinity); // what gptq takes does not depend on the opset, only how it is stored
  if (wanted.plans.length === 0) {
    throw nothingQualifies('gptq', wanted.skipped.map(skipItemOf), GPTQ_SCOPE_HINT);
  }
  const calibration: CalibrationSource | undefined = ctx.calibration;
  if (!calibration) {
    throw new UserError(ErrorCodes.BAD_PARAM, 'gptq needs calibration data and none was given', {
      hint: 'pass --calib-dataset: a text dataset (a folder, .jsonl or .txt that mc eval reads) for a language model, an image dataset (u8-images folder) for a vision model; --calib-samples sets how much',
    });
  }
  const set = await calibration.load(); // a dataset that does not suit the model fails here, before any work
  // Conv/Gemm weights want blocked DequantizeLinear (opset 21): the same verified upgrade int4 makes
  const blocked = wanted.plans.some((p) => p.encoding !== 'MatMulNBits');
  const choice = blocked
    ? await chooseOpset(
        model,
        BLOCKED_DQ_OPSET,
        'blocked int4 DequantizeLinear (Conv/Gemm weights)',
        opts.keepOpset ?? false,
        ctx,
      )
    : undefined;
  const opset = choice?.opset ?? model.opset('') ?? 1;
  const { plans, skipped, targets: blockTargets } = selectTargets(model, opts, opset);
  choice?.apply();
  return { set, choice, opset, plans, skipped, blockTargets };
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

/** The report row of a solved weight, with the bits it is stored in. */
function solvedRow(s: Solved, stored: number, opts: GptqWeightOptions): GptqTensorReport {
  const elements = s.plan.c.init.elementCount;
  const dead = s.kind === 'nbits' ? s.result.deadColumns : s.deadColumns;
  return {
    name: s.plan.c.init.name,
    action: `gptq-${opts.bits}bit`,
    ...(dead ? { reason: `${dead} dead inputs (never active in calibration) set to 0` } : {}),
    shape: [...s.plan.c.init.dims],
    elements,
    bytesBefore: s.plan.c.init.byteLength,
    bytesAfter: stored / 8,
    bitsPerWeight: stored / elements,
    outputError: s.outputError,
  };
}

function gptqNotes(
  p: Prepared,
  solved: readonly Solved[],
  stages: number,
  weights: number,
  bitsPerWeight: number,
  errors: readonly number[],
  opts: GptqWeightOptions,
): string[] {
  const dampOf = (s: Solved) => (s.kind === 'nbits' ? s.result.dampUsed : s.dampUsed);
  const grown = solved.filter((s) => dampOf(s) !== opts.damp);
  const count = (e: Plan['encoding']) => solved.filter((s) => s.plan.encoding === e).length;
  const nbits = solved.find((s): s is SolvedNBits => s.kind === 'nbits');
  const forms = [
    count('MatMulNBits') ? `${count('MatMulNBits')} as MatMulNBits bits=${nbits?.packed.bits}` : undefined,
    count('DequantizeLinear-21')
      ? `${count('DequantizeLinear-21')} Conv/Gemm as blocked int4 DequantizeLinear`
      : undefined,
    count('nibbles') ? `${count('nibbles')} Conv/Gemm as int4 nibbles unpacked at opset ${p.opset}` : undefined,
  ].filter((f): f is string => f !== undefined);
  return [
    ...(p.choice?.notes ?? []),
    `${solved.length} of ${solved.length + p.skipped.length} float initializers quantized by GPTQ (${opts.bits}-bit ${opts.scheme}, group ${opts.groupSize}, damp ${opts.damp}${opts.actOrder ? ', act-order with static groups' : ''}): ${forms.join(', ')}; ${weights} weights at ${bitsPerWeight.toFixed(4)} bits each`,
    opts.bits === 3
      ? "3-bit codes are stored in 4-bit forms (onnxruntime's CPU kernel takes bits 2, 4 and 8): bits/weight counts the 4-bit storage"
      : undefined,
    blockNote([...p.blockTargets.values()].flat()),
    opts.sequential
      ? `sequential: ${stages} stage${stages === 1 ? '' : 's'}, each calibrated on the output of the stages already quantized`
      : 'not sequential: every layer calibrated on the float model in one pass',
    `calibration: ${describeCalibration(p.set.info)}`,
    errors.length
      ? `layer output error ||XW'-XW||/||XW|| on the calibration data: mean ${(errors.reduce((a, b) => a + b, 0) / errors.length).toFixed(4)}, max ${Math.max(...errors).toFixed(4)} (per tensor in the result's tensors)`
      : undefined,
    ...skipSummaryLines(p.skipped.map(skipItemOf), 'left float'),
    grown.length
      ? `damping raised for ${grown.map((s) => `${s.plan.c.init.name} (${dampOf(s)})`).join(', ')}: H was not positive definite at --damp ${opts.damp}`
      : undefined,
  ].filter((n): n is string => n !== undefined);
}

/** Calibrate each stage on the model as quantized so far, solve its weights, and write them. */
async function solveStages(
  model: OnnxModel,
  p: Prepared,
  stages: readonly CaptureTarget[][],
  opts: GptqWeightOptions,
  ctx: RunContext,
  loop: TensorLoop,
): Promise<{ solved: Solved[]; storedBits: Map<string, number> }> {
  const byWeight = new Map(p.plans.map((plan) => [plan.c.init.name, plan]));
  const solved: Solved[] = [];
  const storedBits = new Map<string, number>();
  for (const [i, stage] of stages.entries()) {
    const stats = await captureActivations(model, stage, p.set, ctx, {
      label: `gptq: calibrating stage ${i + 1}/${stages.length}`,
    });
    const weights = [...new Set(stage.map((t) => t.weight))].map((w) => byWeight.get(w) as Plan);
    const done = await loop.each(
      weights,
      (plan) => `gptq ${plan.c.init.name}`,
      (plan) => solve(plan, hessiansFor(plan, p.blockTargets.get(plan.c.init.name) ?? [], stats), opts),
    );
    for (const s of done) {
      if (s.kind === 'nbits') applyNBits(model, s, opts.accuracyLevel);
      else storedBits.set(s.plan.c.init.name, writeInt4Blocks(model, s.plan, s.blocks, p.opset));
    }
    solved.push(...done);
  }
  return { solved, storedBits };
}

/** Quantize the selected MatMul, Gemm and Conv weights of `model` in place with GPTQ. */
export async function quantizeGptqWeights(
  model: OnnxModel,
  opts: GptqWeightOptions,
  ctx: RunContext,
): Promise<GptqWeightsResult> {
  const order = initializerOrder(model);
  const p = await prepare(model, opts, ctx);
  const targets = targetsOf(p.plans, p.blockTargets);
  const stages = opts.sequential ? byWeightStages(planStages(model, targets)) : [targets];
  if (p.plans.some((plan) => plan.encoding === 'MatMulNBits') && model.opset(MS_DOMAIN) === undefined)
    model.setOpset(MS_DOMAIN, 1);
  const step = {
    label: 'gptq',
    total: p.plans.length,
    done: (r: GptqWeightsResult & { solved: number }) =>
      `gptq: ${r.solved} tensors, ${r.bitsPerWeight.toFixed(3)} bits/weight`,
  };
  const result = await rewriteTensors(ctx, step, async (loop) => {
    const { solved, storedBits } = await solveStages(model, p, stages, opts, ctx, loop);
    let bits = solved.some((s) => s.plan.encoding === 'nibbles') ? nibbleSharedBits(model) : 0; // the int32 scalars the unpacks share
    let weights = 0;
    const rows = solved.map((s) => {
      const stored =
        s.kind === 'nbits'
          ? storedBitsOf(s.packed, s.plan.c.floatType)
          : (storedBits.get(s.plan.c.init.name) as number);
      bits += stored;
      weights += s.plan.c.init.elementCount;
      return solvedRow(s, stored, opts);
    });
    const tensors = order<GptqTensorReport>([...rows, ...p.skipped.map((s) => skippedTensorRow(s.init, s.reason))]);
    const bitsPerWeight = bits / weights;
    const errors = tensors.filter((t) => t.outputError !== undefined).map((t) => t.outputError as number);
    const notes = gptqNotes(p, solved, stages.length, weights, bitsPerWeight, errors, opts);
    return { tensors, notes, bitsPerWeight, solved: solved.length };
  });
  for (const t of result.tensors)
    if (t.outputError !== undefined) ctx.log.debug(`gptq ${t.name}: layer output error ${t.outputError.toFixed(5)}`);
  return { tensors: result.tensors, notes: result.notes, bitsPerWeight: result.bitsPerWeight };
}
