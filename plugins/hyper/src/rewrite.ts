/**
 * `mc compress --method hyper` on an OnnxModel: select float32 weights (>= --min-size elements,
 * --include/--exclude), encode each with the codec (or with the --target-bpw planner's per-tensor
 * choice), then replace it by packed indices, a header, a table and a call of the decode function
 * (onnx/decode-graph.ts, onnx/decode-body.ts).
 *
 * Two phases like int8: every tensor is encoded in memory first (NaN checks, Ctrl-C), then the
 * graph is edited, so a failure leaves the model untouched. Each tensor's decode table follows
 * --decode-table (onnx/decode-tables.ts chooseDecodeTable): under auto the exact table (spec §9.2 A)
 * when table + indices cost less than float32, else the compact one (B) when that does, else the
 * tensor stays float32 (spec §9.2: "keep a tensor raw (or use option B) when 4N <= packed + LUT").
 */
import {
  ErrorCodes,
  UserError,
  nothingQualifies,
  selectWeights,
  skipItemOf,
  skipSummaryLines,
  throwIfAborted,
  type OnnxModel,
  type RunContext,
  type SkipItem,
  type TensorReport,
  type WeightCandidate,
} from '@mc-kit/core';
import {
  DEFAULT_PLAN_CANDIDATES,
  encodeTensorParallel,
  planTargetBpw,
  type EncodedTensor,
  type HyperEncodedTensor,
} from './codec/index.js';
import { MIN_DECODE_OPSET } from './onnx/decode-body.js';
import { decodeCosts, FUNCTION_DOMAIN, writeDecodeGraph, type DecodeCosts } from './onnx/decode-graph.js';
import {
  chooseDecodeTable,
  sideBytes as tensorSideBytes,
  storedBytes,
  type DecodeTable,
} from './onnx/decode-tables.js';
import { HYPER_META_FORMAT, HYPER_META_KEY, tensorRecord, type HyperMeta, type TensorRecord } from './onnx/metadata.js';
import type { HyperOptions } from './options.js';

/** Overridable initializers (--decode run) need IR 4. */
const MIN_IR_FOR_RUN = 4;

export interface HyperResult {
  readonly tensors: TensorReport[];
  readonly notes: string[];
  readonly bitsPerWeight: number;
}

/** Why a selected tensor stays float32, in words for the report. */
function rawReason(e: Exclude<EncodedTensor, HyperEncodedTensor>): string {
  switch (e.reason) {
    case 'too-small':
      return 'fewer than 10 elements';
    case 'mae-limit':
      return `MAE ${e.mae?.toExponential(2)} over --max-mae`;
    case 'no-fit':
      return 'no shell count gave a finite error (values near the float32 range)';
    case 'planner':
      return '--target-bpw planner kept it float32';
    case 'tiny':
      return '--target-bpw keeps tiny tensors float32 (under 0.5% of the weights: cheap, and their few weights per output do not average errors out)';
  }
}

/** Why an encoded tensor stays float32: its table and indices would not save bytes. */
function tableTooBig(e: HyperEncodedTensor, rank: number, policy: HyperOptions['decodeTable']): string {
  const cost = (t: DecodeTable) => `${t} table + indices ${storedBytes(e, rank, t)} B`;
  const tried =
    policy === 'auto' && e.K > 0
      ? `${cost('exact')}, ${cost('compact')}`
      : cost(policy === 'compact' && e.K > 0 ? 'compact' : 'exact');
  return `${tried}: not less than float32 (${4 * e.numel} B)`;
}

function checkModel(model: OnnxModel, opts: HyperOptions): void {
  const opset = model.opset('') ?? 0;
  if (opset < MIN_DECODE_OPSET) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `hyper: the model uses ${opset ? `opset ${opset}` : 'no default-domain opset'}; hyper's decode is written for opset ${MIN_DECODE_OPSET} and later`,
      {
        hint: `re-export the model at opset ${MIN_DECODE_OPSET} or later, then compress it`,
      },
    );
  }
  if (model.getMetadata(HYPER_META_KEY) || model.opset(FUNCTION_DOMAIN) !== undefined) {
    throw new UserError(ErrorCodes.UNSUPPORTED, 'hyper: the model is hyper-compressed already', {
      hint: 'compress the dense model, or `mc decompress` this one first',
    });
  }
  if (opts.decode === 'run' && Number(model.proto.irVersion ?? 0) < MIN_IR_FOR_RUN) {
    throw new UserError(
      ErrorCodes.UNSUPPORTED,
      `hyper: --decode run needs IR version ${MIN_IR_FOR_RUN} or later (the model has ${String(model.proto.irVersion)})`,
      {
        hint: 'use --decode load, or re-export the model with a newer onnx',
      },
    );
  }
}

async function encodeAll(
  candidates: readonly WeightCandidate[],
  opts: HyperOptions,
  ctx: RunContext,
  costs: DecodeCosts,
): Promise<EncodedTensor[]> {
  if (opts.targetBpw !== undefined) {
    ctx.progress
      .start('hyper plan', 1)
      .update(`planning ${candidates.length} tensors for ${opts.targetBpw} bits/weight`);
    const named = candidates.map((c) => ({ name: c.init.name, w: c.init.readFloat32() }));
    // An upper bound on what writeDecodeGraph stores besides the indices (a rank-4 header), with
    // the table chooseDecodeTable may pick: under auto, exact can only be picked when it fits with
    // the smallest header (rank 1); otherwise it is compact.
    const sideBytes = (n: number, K: number, indexBytes: number, numel: number) => {
      const upper = (t: DecodeTable) => tensorSideBytes(n, K, 4, t);
      if (opts.decodeTable !== 'auto') return upper(opts.decodeTable);
      return indexBytes + tensorSideBytes(n, K, 1, 'exact') < 4 * numel ? upper('exact') : upper('compact');
    };
    const plan = planTargetBpw(named, opts.targetBpw, {
      ...DEFAULT_PLAN_CANDIDATES,
      sideBytes,
      sharedBytes: costs.shared,
    });
    return plan.tensors.map((t) => t.encoded);
  }
  const task = ctx.progress.start('hyper', candidates.length);
  const out: EncodedTensor[] = [];
  try {
    for (const c of candidates) {
      throwIfAborted(ctx.signal);
      task.update(`hyper ${c.init.name} (${c.init.elementCount} weights)`);
      out.push(await encodeTensorParallel(c.init.name, c.init.readFloat32(), opts.settings));
      task.tick();
    }
  } catch (e) {
    task.fail();
    throw e;
  }
  task.done(`hyper: encoded ${candidates.length} tensors`);
  return out;
}

/** Compress the selected weights of `model` in place. */
export async function hyperCompressWeights(
  model: OnnxModel,
  opts: HyperOptions,
  ctx: RunContext,
): Promise<HyperResult> {
  checkModel(model, opts);
  const order = new Map(model.initializerNames().map((n, i) => [n, i]));
  // every parameter of >= --min-size elements, as the reference (§1.1): biases and norm scales
  // too, unless --no-vectors
  const selected = selectWeights(model, opts);
  const skipped = [...selected.skipped];
  const candidates = selected.candidates.filter((c) => {
    if (c.floatType === 'float32') return true;
    skipped.push({ init: c.init, reason: `${c.floatType} weight (hyper encodes float32)` });
    return false;
  });
  if (candidates.length === 0) {
    throw nothingQualifies(
      'hyper',
      skipped.map(skipItemOf),
      `hyper encodes float32 weights of MatMul, Gemm, Conv, ConvTranspose, Gather and LSTM/GRU/RNN, and biases and norm scales, with at least --min-size (${opts.minSize}) elements`,
    );
  }
  const t0 = performance.now();
  const costs = decodeCosts(model, opts.decodeTable);
  const encoded = await encodeAll(candidates, opts, ctx, costs);
  const encodeS = (performance.now() - t0) / 1000;

  const tensors: TensorReport[] = [];
  const records: TensorRecord[] = [];
  let bits = 0;
  let weights = 0;
  const tables = { exact: 0, compact: 0, raw: 0 };
  let shared = 0;
  let maeSum = 0;
  let encodedWeights = 0;
  const keptFloat: SkipItem[] = [];
  candidates.forEach((c, i) => {
    throwIfAborted(ctx.signal);
    const e = encoded[i];
    const N = c.init.elementCount;
    const dims = [...c.init.dims];
    weights += N;
    const base = { name: c.init.name, shape: dims, elements: N, bytesBefore: c.init.byteLength };
    const table = e.kind === 'raw' ? null : chooseDecodeTable(e, dims.length, opts.decodeTable);
    if (e.kind === 'raw' || table === null) {
      const reason = e.kind === 'raw' ? rawReason(e) : tableTooBig(e, dims.length, opts.decodeTable);
      if (e.kind !== 'raw') tables.raw++;
      bits += 32 * N; // kept float32: counted, so bits per weight stays honest
      keptFloat.push({
        name: c.init.name,
        elements: N,
        reason,
        cause:
          e.kind === 'raw'
            ? e.reason === 'mae-limit'
              ? 'MAE over --max-mae'
              : reason
            : 'no decode table costs less than float32',
      });
      tensors.push({ ...base, action: 'skipped', reason, bytesAfter: c.init.byteLength, bitsPerWeight: 32 });
      return;
    }
    const written = writeDecodeGraph(model, c.init.name, dims, e, opts.decode, table);
    tables[written.table]++;
    bits += 8 * (written.bytes + written.sharedBytes);
    shared += written.sharedBytes;
    tensors.push({ ...base, action: 'hyper', bytesAfter: written.bytes, bitsPerWeight: (8 * written.bytes) / N });
    records.push(tensorRecord(e, dims, written.table, costs.form === 'inline' ? written.inputs : undefined));
    maeSum += e.mae * N;
    encodedWeights += N;
  });
  if (records.length === 0) {
    throw new UserError(
      ErrorCodes.NOTHING_TO_COMPRESS,
      `hyper: every selected weight stayed float32 (${tensors.find((t) => t.action === 'skipped' && t.reason)?.reason ?? ''})`,
      {
        hint: 'the exact lookup table costs 8·(n+1)·(K+1) bytes per tensor, the compact one 8·(n+1) + 4·(K+1) + 16: try a smaller --n (e.g. --preset unet), --decode-table auto, or drop --max-mae',
      },
    );
  }
  for (const s of skipped) {
    const b = s.init.byteLength;
    tensors.push({
      name: s.init.name,
      action: 'skipped',
      reason: s.reason,
      shape: [...s.init.dims],
      elements: s.init.elementCount,
      bytesBefore: b,
      bytesAfter: b,
    });
  }
  tensors.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  const meta: HyperMeta = { format: HYPER_META_FORMAT, decode: opts.decode, tensors: records };
  model.setMetadata(HYPER_META_KEY, JSON.stringify(meta));

  const bitsPerWeight = bits / weights;
  const maeW = maeSum / Math.max(1, encodedWeights);
  const program =
    costs.form === 'function'
      ? `one model-local function per table kind (${FUNCTION_DOMAIN}, opset ${model.opset('')}, ${shared} B of constants), one call node per tensor`
      : `the decode nodes written per tensor, reading ${shared} B of shared constant initializers (IR ${String(model.proto.irVersion)} < 8 cannot carry model-local functions)`;
  const notes = [
    `${records.length} of ${candidates.length} selected float32 weights hyper-encoded (${weights} weights, ${(weights / encodeS / 1e6).toFixed(2)} M weights/s encode); ${bitsPerWeight.toFixed(4)} bits/weight over all selected weights, indices + headers + lookup tables + decode constants, float32-kept ones at 32`,
    `mean |decoded − w| over encoded tensors: ${maeW.toExponential(3)}; decode ${opts.decode === 'load' ? 'load (folded once when the session starts)' : 'run (weights stay packed; decoded on every inference)'}: ${program}`,
  ];
  notes.push(
    `decode tables (--decode-table ${opts.decodeTable}): ${tables.exact} exact (spec §9.2 A, bit-exact), ${tables.compact} compact (B: codebook + shell scales in float32, a few ulps off the exact decode), ${tables.raw} kept float32 because no table saved bytes${tables.raw ? ' (use a smaller --n)' : ''}`,
  );
  notes.push(
    ...skipSummaryLines(keptFloat, 'kept float32 (selected, not encoded)'),
    ...skipSummaryLines(skipped.map(skipItemOf), 'left float32 (not selected)'),
  );
  return { tensors, notes, bitsPerWeight };
}
