/**
 * Calibration: the data a data-aware compressor (GPTQ, Wanda, SparseGPT) runs through the model, and
 * the streaming statistics it takes of the activations feeding each MatMul weight.
 *
 * The flow (STYLE.md §2, accumulate -> finalize -> solve):
 *   ctx.calibration (a CalibrationSource, built by the CLI from --calib-dataset/--calib-samples/--calib-seqlen)
 *     -> load(): CalibrationSet (token windows drawn once, seeded by ctx.rng, cached)
 *     -> captureActivations(model, targets, set, ctx, options): Map<tensor, ActivationStats>
 *        (runs a COPY of the model with the target tensors as extra graph outputs; every sample's
 *        activations are folded into the sums and dropped: nothing of size rows x K is kept)
 *     -> featureNorms(stats) (Wanda's ||X_j||_2), hessianOf(stats) (GPTQ/SparseGPT's 2/n X^T X).
 * Sequential algorithms (each layer calibrated on the output of the already-compressed layers before
 * it) call planStages(model, targets) and capture one stage at a time on the model as it is now.
 *
 * Functions (exported from @mc-kit/core, implemented beside this file):
 *   findWeightTargets(model, weightNames?) -> CaptureTarget[]        targets.ts (MatMul, Gemm, Conv)
 *   findMatMulTargets(model, weightNames?) -> CaptureTarget[]        targets.ts (MatMul, Gemm)
 *   statsKey(target, group?) / statsOf(result, target)               capture.ts
 *   planStages(model, targets) -> CaptureTarget[][]                  stages.ts
 *   captureActivations(model, targets, source, ctx, options?)        capture.ts
 *   createStats(features, hessian) / accumulateRows(stats, x, rows) / mergeStats(a, b)
 *   featureNorms(stats) / hessianOf(stats)                           stats.ts
 *   createCalibration(options) -> CalibrationSource                   source.ts (the CLI uses it): text
 *     windows (text-source.ts) or preprocessed images (image-source.ts), by what the dataset is
 */
import type { HostTensor } from '../session/types.js';

/** One calibration sample. */
export type CalibrationSample =
  /** one window of `ids.length` token ids; the capture builds the model's feeds (input_ids, attention_mask, position_ids, empty past) for it */
  | { readonly kind: 'tokens'; readonly ids: Int32Array }
  /** ready-made feeds (e.g. preprocessed images); rows = activation rows it yields per target, informative only */
  | { readonly kind: 'feeds'; readonly feeds: Readonly<Record<string, HostTensor>> };

/** What the calibration data is, for reports and results. */
export interface CalibrationInfo {
  /** the --calib-dataset ref as the user typed it */
  readonly dataset: string;
  /** dataset provider id that opened it */
  readonly provider?: string;
  /** --calib-dataset-type as given (a provider id forced over detection) */
  readonly datasetType?: string;
  /** sha256 of the dataset's files, once loaded */
  readonly digest?: string;
  /** number of samples (text windows, or images) */
  readonly samples: number;
  /** tokens per window (text) */
  readonly seqlen?: number;
  /** 'text' (token windows) or 'image' (preprocessed images); set once loaded */
  readonly kind?: 'text' | 'image';
  /** image calibration: the model input fed, the image size, and the preprocessing applied */
  readonly image?: {
    readonly input: string;
    readonly channels: number;
    readonly height: number;
    readonly width: number;
    readonly preprocess: string;
  };
  /** RNG seed the windows were drawn with */
  readonly seed?: number;
}

/** The loaded samples (held in memory: 128 x 2048 int32 ids is 1 MiB). */
export interface CalibrationSet {
  readonly info: CalibrationInfo;
  readonly samples: readonly CalibrationSample[];
  /** the model's config.json (feeds for past_key_values need head counts), when known */
  readonly config?: Record<string, unknown>;
}

/**
 * On RunContext as `ctx.calibration` when the user passed --calib-dataset. Lazy: nothing is read or
 * tokenized until a method calls load(); later calls return the same set.
 */
export interface CalibrationSource {
  /** what was asked for (before loading): dataset ref, samples, seqlen */
  readonly info: CalibrationInfo;
  load(): Promise<CalibrationSet>;
}

/**
 * A Conv's im2col geometry: its input seen as patches. Patch features are ordered as the weight's
 * rows [Cout, Cin/group, k_1, ..., k_n] flatten them: input channel (within the group), then kernel
 * offsets row-major; group g owns input channels [g·Cin/group, (g+1)·Cin/group) and output
 * channels [g·Cout/group, (g+1)·Cout/group).
 */
export interface ConvPatches {
  /** Cin: channels of the activation */
  readonly channels: number;
  readonly group: number;
  /** kernel extent per spatial axis (the weight's dims from 2 on) */
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  /** ONNX order: begin of every axis, then end of every axis */
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  /** SAME_UPPER / SAME_LOWER / VALID, when the node sets it (then pads are ignored, as by Conv) */
  readonly autoPad?: string;
}

/** An activation to capture: the tensor feeding a weight (MatMul/Gemm/Conv input 0 for weight input 1). */
export interface CaptureTarget {
  /** the weight initializer this activation multiplies (MatMul input 1); a key for reports */
  readonly weight: string;
  /** the activation tensor name (MatMul input 0) */
  readonly tensor: string;
  /** K: the activation's last dimension = the weight's rows; for a Conv, features per group = Cin/group · Πk */
  readonly features: number;
  /** Conv only: the statistics are over im2col patches, one ActivationStats per group (statsOf) */
  readonly conv?: ConvPatches;
}

export interface CaptureOptions {
  /** accumulate X^T X (GPTQ, SparseGPT). Default true. Sum of squares and rows are always kept. */
  readonly hessian?: boolean;
  /** also accumulate Σ x per feature (ActivationStats.sum; channel pruning's bias refit needs the means). Only with hessian. Default false. */
  readonly sums?: boolean;
  /** progress label (default 'calibrating') */
  readonly label?: string;
}

/**
 * Streaming statistics of one activation X [rows, K], every row a token (or image position).
 * Sums, not means (STYLE.md §11): two partial stats merge exactly with mergeStats.
 */
export interface ActivationStats {
  readonly features: number;
  /** rows (tokens) seen */
  rows: number;
  /** Σ_rows x_j^2 per input feature j, [K] (Wanda: ||X_j||_2 = sqrt of this) */
  readonly sumSquares: Float64Array;
  /** Σ_rows x x^T, [K * K] row-major, both triangles filled; absent when capture ran with hessian: false */
  readonly xtx?: Float64Array;
  /** Σ_rows x_j per feature, [K]; present when capture ran with sums: true */
  readonly sum?: Float64Array;
}

/**
 * Captured statistics keyed by statsKey(target, group): the activation tensor name for MatMul/Gemm
 * (weights sharing an input share the stats); for a Conv the tensor, its patch geometry and the
 * group index. Read a target's statistics with statsOf(result, target): one per group.
 */
export type CaptureResult = Map<string, ActivationStats>;
