/**
 * The hyperfunction codec's public types (spec: shared/specs/hyper-compression.md, §1–§5).
 *
 * This file is the contract between the codec (pure math over typed arrays) and the rest of the
 * plugin (ONNX rewrite, decode subgraph, CLI params). It only grows: fields and functions are
 * added, never renamed or removed.
 *
 * Vocabulary (spec glossary): a tensor of N float32 values is cut into P = ceil(N/2) pairs
 * (one mean pad value when N is odd); each pair is a 2-D point. l is the side of the square
 * around the centre c; n is the number of winding points (codebook = centre + n points);
 * K is the number of radial shells for points outside the square; each pair is stored as one
 * index idx = j + (n+1)·s of `bits` bits, packed MSB-first with `nz` zero bits at the FRONT.
 */

/** How to encode. The three reference settings are in presets.ts (PRESETS). */
export interface HyperSettings {
  /**
   * Square side in raw weight units (`rect_l`), or 'auto': a per-tensor side chosen from that
   * tensor's distribution (rule in auto-l.ts), stored in the tensor's side info.
   */
  readonly l: number | 'auto';
  /** Candidate codebook sizes n (`num_inner_list`), tried in order (§3.3). Each 1 <= n <= 65535. */
  readonly U: readonly number[];
  /** Maximum number of shells (`class_max`), 1 <= M <= 255. */
  readonly M: number;
  /**
   * Per-tensor MAE limit (`set_loss_limit`; LLaMA uses 0.006): a tensor whose reconstruction has
   * mean |decoded − w| > maxMae is kept raw. undefined/null: no limit (UNet, MobileNetV3).
   */
  readonly maxMae?: number | null;
  /** `loss_max` of §3.3: accept the first n in U whose best MAE <= lossMax. Default 1e-3. */
  readonly lossMax?: number;
  /** `loss_threshold` of §3.3: stop the K search at the first K with MAE <= this. Default 1e-3. */
  readonly lossThreshold?: number;
}

/** A tensor stored with hyperfunction indices: everything a decoder or an ONNX writer needs. */
export interface HyperEncodedTensor {
  readonly kind: 'hyper';
  readonly name: string;
  /** N: element count of the original tensor (the decoder returns exactly N values). */
  readonly numel: number;
  /** P = ceil(N/2): number of pairs = number of packed indices. */
  readonly pairs: number;
  /** 1 when N is odd (one mean pad value was appended; the decoder drops the last value). */
  readonly pad: 0 | 1;
  /** Index of n in settings.U (`num_inner_index`). */
  readonly nIndex: number;
  /** n = U[nIndex]: winding points; the codebook has n+1 points (index 0 = centre). */
  readonly n: number;
  /** Number of shells K (0 when every point lies in the square). */
  readonly K: number;
  /** The square side used for this tensor (settings.l, or the per-tensor value under 'auto'). */
  readonly l: number;
  /** Centre c = (cx, cy), float32 values (stored side info). */
  readonly cx: number;
  readonly cy: number;
  /** Farthest point from c, float32 values (stored side info; fixes F and the shell radii). */
  readonly fx: number;
  readonly fy: number;
  /** Index width `uint_i` = max(1, bit_length(max index)), 1..17. */
  readonly bits: number;
  /** Number of zero bits at the front of `bytes` (so that P·bits + nz is a multiple of 8). */
  readonly nz: number;
  /** The packed indices, MSB-first, exactly the reference's `<i>_<shape>_<bits>_<nz>.bin` bytes. */
  readonly bytes: Uint8Array;
  /** Mean |decoded − w| over the N real values (float64), as measured after encoding. */
  readonly mae: number;
}

/** Why a tensor stays float32. */
export type RawReason =
  /** fewer than MIN_COMPRESS_ELEMENTS (10) values (§1.1) */
  | 'too-small'
  /** its MAE exceeded settings.maxMae (the LLaMA `set_loss_limit` rule) */
  | 'mae-limit'
  /** no K gave a finite MAE (values near the float32 range overflow the distances); the
   * reference's blanket `except` keeps such tensors raw too */
  | 'no-fit'
  /** the --target-bpw planner found float32 the better use of the bit budget */
  | 'planner'
  /** the --target-bpw planner keeps tiny tensors float32 (plan-bpw.ts protectedTiny) */
  | 'tiny';

/** A tensor kept as raw float32 (the reference's `_0_0.bin` files). */
export interface RawTensor {
  readonly kind: 'raw';
  readonly name: string;
  readonly numel: number;
  readonly reason: RawReason;
  /** For 'mae-limit': the MAE the hyper encoding would have had. */
  readonly mae?: number;
}

export type EncodedTensor = HyperEncodedTensor | RawTensor;

/** Tensors with fewer values are stored raw (reference: `param.flatten().shape[0] >= 10`). */
export const MIN_COMPRESS_ELEMENTS = 10;

/**
 * Bytes of per-tensor side info counted against a compressed tensor, as in the reference's
 * Compressed_Dir: pad (u8), nIndex (u8), K (u8), c (2×f32), far (2×f32) = 19 bytes. An ONNX writer
 * may store it differently; this constant is what bits-per-weight figures count (§5.4).
 */
export const SIDE_INFO_BYTES = 19;
/** Extra side info under l: 'auto': the per-tensor l as float64. */
export const AUTO_L_SIDE_BYTES = 8;

// ---- Function signatures (implemented in the sibling modules, re-exported from ./index.ts) ----

/** encode.ts: throws UserError (E_BAD_PARAM) naming the tensor on a NaN/±Inf weight or bad settings. */
export type EncodeTensorFn = (name: string, w: Float32Array, settings: HyperSettings) => EncodedTensor;
/**
 * encode-parallel.ts: the same result, byte for byte, with the pair loop split over worker threads
 * for big tensors (falls back to the single-thread path for small ones).
 */
export type EncodeTensorParallelFn = (
  name: string,
  w: Float32Array,
  settings: HyperSettings,
  options?: { threads?: number; minPairs?: number },
) => Promise<EncodedTensor>;
/** decode.ts: the reference decoder (§4): float64 math, one float32 rounding; returns N values. */
export type DecodeTensorFn = (enc: HyperEncodedTensor) => Float32Array;
/**
 * codebook.ts: the float64 codebook T (n+1 points, interleaved x,y; T[0] = centre) in the
 * reference's op order (§2.3), for centre (cx, cy) (default (0, 0)).
 */
export type CodebookFn = (n: number, l: number, cx?: number, cy?: number) => Float64Array;
/** codebook.ts: the same table cast to float32 (spec §9.2 option B's `T` initializer). */
export type CodebookF32Fn = (n: number, l: number, cx?: number, cy?: number) => Float32Array;
/** decode.ts: S_s = d_s/(l/2) = 1/factor_s for s = 0..K (float64; §9.2 option B's `S`). */
export type ShellScalesFn = (enc: HyperEncodedTensor) => Float64Array;
/**
 * decode.ts: the exact lookup table LUT[(n+1)(K+1)][2] as float32 (spec §9.2 option A):
 * decodeTensor(enc)[2p..2p+1] === LUT[idx[p]] bit for bit.
 */
export type LookupTableFn = (enc: HyperEncodedTensor) => Float32Array;
/** bits.ts: read P indices of `bits` bits after `nz` front zero bits (MSB-first). */
export type UnpackIndicesFn = (bytes: Uint8Array, bits: number, nz: number, P: number) => Uint32Array;
/** bits.ts: pack indices MSB-first with zero bits at the front (§5.2). */
export type PackIndicesFn = (idx: ArrayLike<number>, bits: number) => { bytes: Uint8Array; nz: number };

// ---- Target bits-per-weight planner (plan-bpw.ts) ----

/** One named tensor handed to the planner. */
export interface NamedWeights {
  readonly name: string;
  readonly w: Float32Array;
}

/** The grid the planner searches per tensor. */
export interface PlanCandidates {
  /** Codebook sizes n to try (each alone, U = [n]). */
  readonly n: readonly number[];
  /** Multipliers of the tensor's auto l (auto-l.ts) to try; the stored l is autoL·scale. */
  readonly lScales: readonly number[];
  /** Maximum shells M (the planner may lower it per tensor to cap the index width). */
  readonly M: number;
  /**
   * Bytes of side info the writer stores per compressed tensor with codebook size n and K shells
   * (what "bits per weight" must count). Default: SIDE_INFO_BYTES + AUTO_L_SIDE_BYTES (the
   * reference's 19 bytes plus the per-tensor l). A writer that stores a lookup table
   * ((n+1)(K+1) float32 pairs) should pass its own count.
   */
  readonly sideBytes?: (n: number, K: number, indexBytes: number, numel: number) => number;
  /**
   * Bytes the writer stores once per model whatever the choice (e.g. the decode program's
   * constants): taken off the budget and counted in the plan's bits per weight. Default 0.
   */
  readonly sharedBytes?: number;
}

/** The planner's choice for one tensor: encode it with `settings` (l is a number, U = [n]). */
export interface TensorPlan {
  readonly name: string;
  readonly numel: number;
  /** null: keep raw (too small to compress). */
  readonly settings: (HyperSettings & { readonly l: number }) | null;
  /** Measured bits per weight of this choice, side info included (raw: 32 + side / N). */
  readonly bpw: number;
  /** Measured MAE of this choice (0 for raw). */
  readonly mae: number;
  /** The tensor encoded with `settings` (what the planner measured), or the raw record. */
  readonly encoded: EncodedTensor;
}

export interface TargetBpwPlan {
  readonly tensors: readonly TensorPlan[];
  /** Element-weighted bits per weight over all tensors, side info included (measured). */
  readonly bpw: number;
  /** Element-weighted MAE over all tensors (measured). */
  readonly mae: number;
  /** Element-weighted relative MAE, Σ numel·MAE_t/mean|w_t| / Σ numel (measured; raw tensors count 0). */
  readonly relMae: number;
  /** True when the plan meets targetBpw; false: the cheapest candidates still exceed it. */
  readonly met: boolean;
}

export type PlanTargetBpwFn = (
  tensors: readonly NamedWeights[],
  targetBpw: number,
  candidates?: PlanCandidates,
) => TargetBpwPlan;
