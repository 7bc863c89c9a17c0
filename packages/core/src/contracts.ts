/**
 * The three contracts every plugin implements (DESIGN.md "The three contracts"), and what they are
 * given. Plugins depend on these types only; core never imports a plugin.
 */
import type { CalibrationSource } from './calibration/types.js';
import type { CheckpointStore } from './checkpoint.js';
import type { OnnxModel } from './onnx/model.js';
import type { ParamSpec, Params } from './params.js';
import type { SessionFactory } from './session/types.js';

// ---------------------------------------------------------------- run context

export interface Logger {
  /** Normal output (stderr, so stdout stays clean for --json). Silent under --json. */
  info(message: string): void;
  /** Always shown (stderr). */
  warn(message: string): void;
  /** Only with --verbose. */
  debug(message: string): void;
}

/** A unit of long work with a known or unknown total. */
export interface ProgressTask {
  /** Advance by `n` (default 1). */
  tick(n?: number): void;
  /** Replace the label (e.g. the tensor being processed). */
  update(label: string): void;
  /** Finish with a summary line. */
  done(summary?: string): void;
  fail(summary?: string): void;
}

export interface Progress {
  start(label: string, total?: number): ProgressTask;
}

/** Deterministic PRNG (seeded from --seed). */
export interface Rng {
  readonly seed: number;
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
}

export interface RunContext {
  readonly log: Logger;
  readonly progress: Progress;
  readonly rng: Rng;
  /** Aborted on Ctrl-C; long loops check `signal.aborted` (or call throwIfAborted()). */
  readonly signal: AbortSignal;
  readonly sessions: SessionFactory;
  /** Calibration data (--calib-dataset), for methods that want it (GPTQ, Wanda, SparseGPT); absent when none was given. */
  readonly calibration?: CalibrationSource;
  /** the command line and run id the CLI stamps on every result of this invocation (results.ts); absent in library use */
  readonly invocation?: Invocation;
  /** eval --resume: where a metric records its progress (use openCheckpoint(ctx, part), see checkpoint.ts); absent otherwise */
  readonly checkpoints?: CheckpointStore;
}

/** Who asked for a run: the command line as typed (secrets redacted) and an id shared by all its results. */
export interface Invocation {
  readonly argv: readonly string[];
  readonly run: string;
}

// ---------------------------------------------------------------- compress

export interface TensorReport {
  readonly name: string;
  /** what was done: e.g. 'int8', 'skipped' */
  readonly action: string;
  readonly reason?: string;
  readonly shape: readonly number[];
  readonly elements: number;
  /** bytes before (as stored in the input) */
  readonly bytesBefore: number;
  /** bytes after (codes + scales + zero points actually stored) */
  readonly bytesAfter: number;
  /** measured bits per weight for this tensor (bytesAfter * 8 / elements) */
  readonly bitsPerWeight?: number;
}

export interface CompressReport {
  readonly method: string;
  readonly params: Params;
  readonly tensors: readonly TensorReport[];
  /** Σ stored bits / Σ original weights over the tensors this step changed (spec quantization.md §4). */
  readonly bitsPerWeight?: number;
  /** Human notes: fallbacks, opset upgrades, what was skipped and why. */
  readonly notes: readonly string[];
  /** A known quality risk this step took (e.g. channel pruning without calibration data), said plainly; repeated on the drift line. */
  readonly qualityRisk?: string;
}

export interface Compressor {
  readonly id: string;
  readonly summary: string;
  readonly params: readonly ParamSpec[];
  /**
   * The parameter `mc sweep --sweep v1,v2` walks when the user names none: one of `params`, or a
   * choice made from the other parameters, parsed with their defaults (prune walks --ratio under
   * --algo channel, else --sparsity). Absent: a sweep must name it, `--sweep NAME=v1,v2`.
   */
  readonly sweepParam?: string | ((params: Params) => string);
  /** Rewrite `model` in place; report measured values, not requested ones. */
  compress(model: OnnxModel, params: Params, ctx: RunContext): Promise<CompressReport>;
  /** Give back dense float weights for what this method wrote (used by `mc decompress`). */
  decompress?(model: OnnxModel, ctx: RunContext): Promise<void>;
}

// ---------------------------------------------------------------- datasets

/**
 * Every dataset kind, mapped to what a provider of that kind opens and what a metric scoring it
 * receives. Core declares its own kinds here; a plugin adds its kinds by declaration merging, in its
 * own files (llm-kick adds 'mcq', 'factoid-qa', ...):
 *
 * ```ts
 * declare module '@mc-kit/core' {
 *   interface DatasetKinds {
 *     'my-kind': MyDataset; // MyDataset extends DatasetBase with readonly kind: 'my-kind'
 *   }
 * }
 * ```
 */
export interface DatasetKinds {
  text: TextDataset;
  'image-class': ImageClassDataset;
  'image-mask': ImageMaskDataset;
  /** no data: what a metric that lists 'none' receives when --dataset is omitted (NO_DATASET) */
  none: NoDataset;
}

export type DatasetKind = keyof DatasetKinds;

/** Any dataset: the union of the kinds' types, told apart by `kind`. */
export type Dataset = DatasetKinds[DatasetKind];

/** What a user typed after --dataset, resolved to a path or a hub id. */
export interface DatasetRef {
  readonly ref: string;
  /** absolute local path when the ref is local */
  readonly path?: string;
  /** optional limit (--limit) */
  readonly limit?: number;
  /** record field to read for jsonl/parquet text (--field); the provider's default when absent */
  readonly field?: string;
}

export interface DatasetBase {
  readonly kind: DatasetKind;
  /** provider id */
  readonly provider: string;
  readonly ref: string;
  /** sha256 over the dataset's files (hex) */
  readonly digest: string;
  readonly size: number;
}

/** kind 'image-class': images as uint8 pixels, NCHW-ready. */
export interface ImageClassBatch {
  /** uint8 pixels, [count, channels, height, width] (C order) */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array | Int32Array;
  readonly count: number;
  /** index of the first sample in this batch */
  readonly offset: number;
}

export interface ImageClassDataset extends DatasetBase {
  readonly kind: 'image-class';
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly labels: readonly string[];
  batches(batchSize: number): AsyncIterable<ImageClassBatch>;
}

/** kind 'image-mask': images and their binary masks (segmentation), uint8, NCHW-ready. */
export interface ImageMaskBatch {
  /** uint8 pixels, [count, channels, height, width] (C order) */
  readonly pixels: Uint8Array;
  /** uint8 masks, [count, height, width]: 0 = background, 1 = foreground */
  readonly masks: Uint8Array;
  readonly count: number;
  /** index of the first sample in the dataset */
  readonly offset: number;
}

export interface ImageMaskDataset extends DatasetBase {
  readonly kind: 'image-mask';
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** class names, background first (e.g. ['background', 'digit']) */
  readonly labels: readonly string[];
  batches(batchSize: number): AsyncIterable<ImageMaskBatch>;
}

/**
 * kind 'text': records of raw text exactly as stored, in file order, empty ones INCLUDED (WikiText-2's
 * classic join needs its empty rows; bpc drops empty records itself, spec bpc-perplexity A.2).
 */
export interface TextSubset {
  readonly name: string;
  readonly records: readonly string[];
}

export interface TextDataset extends DatasetBase {
  readonly kind: 'text';
  /** one subset for a plain corpus; three for the llm-compression layout (python, cc, arxiv_math) */
  readonly subsets: readonly TextSubset[];
  /** how whole-text protocols (classic perplexity) join records: "\n\n" for WikiText-2 rows */
  readonly join: string;
}

/** kind 'none': no data at all (size 0, the digest of nothing). */
export interface NoDataset extends DatasetBase {
  readonly kind: 'none';
}

/** Opens datasets of one kind: `open` returns that kind's type (DatasetKinds). */
export interface DatasetProvider<K extends DatasetKind = DatasetKind> {
  readonly id: string;
  readonly kind: K;
  readonly summary: string;
  /** Does this provider recognise the ref (e.g. a folder with meta.json of its kind)? */
  canOpen(ref: DatasetRef): Promise<boolean>;
  open(ref: DatasetRef, ctx: RunContext): Promise<DatasetKinds[K]>;
  /**
   * When no provider recognises a ref: what is wrong with it, if it is almost this provider's kind
   * (a meta.json that does not parse, a folder of .u8 files with no meta.json). Undefined otherwise.
   */
  diagnose?(ref: DatasetRef): Promise<string | undefined>;
}

// ---------------------------------------------------------------- metrics

/** A model ready to evaluate: file, folder, its config, and a way to make sessions. */
export interface LoadedModel {
  readonly ref: string;
  /** absolute path of the .onnx file */
  readonly path: string;
  /** folder holding config.json/tokenizer.json, when the ref was a folder */
  readonly dir?: string;
  /** parsed config.json when present */
  readonly config?: Record<string, unknown>;
  readonly sha256: string;
  readonly bytes: number;
}

export interface MetricValue {
  readonly value: number;
  /** standard error, when the metric has one */
  readonly stderr?: number;
  /** higher is better? (for reports and comparisons) */
  readonly higherIsBetter: boolean;
}

export interface MetricResult {
  readonly metric: string;
  /** bumped when scores can change for the same model and data (STYLE.md §10) */
  readonly metricVersion: number;
  readonly values: Record<string, MetricValue>;
  /** raw sums kept so shards merge exactly (STYLE.md §11): counts, totals */
  readonly sums: Record<string, number>;
  readonly samples: number;
  readonly details?: Record<string, unknown>;
  /** set by a metric that scored one shard of its plan (MetricInputs.shard): what its mergeShards replays */
  readonly shard?: ShardPart;
}

/** eval --shards: which of `count` contiguous ranges of the metric's plan (windows, items) to score. */
export interface EvalShard {
  readonly index: number;
  readonly count: number;
}

/** One shard's share of a result: its units' records (JSON), in plan order, for Metric.mergeShards. */
export interface ShardPart extends EvalShard {
  readonly records: unknown;
}

/** What a metric may take besides the model and the data (eval's --baseline, for now). */
export interface MetricInputs {
  /** the reference model given with --baseline (the dense model, usually): kld compares against it, latency gives ratios to it */
  readonly baseline?: LoadedModel;
  /** eval --shards: score only this shard's units (shardRange over the plan every shard computes alike) and return their records in MetricResult.shard */
  readonly shard?: EvalShard;
}

/**
 * kind 'none': what a metric that lists 'none' among its datasetKinds receives when --dataset is
 * omitted, or is of a kind it does not score; size 0, digest of nothing. Inputs are then shaped from the graph.
 */
export const NO_DATASET: NoDataset = Object.freeze({
  kind: 'none',
  provider: 'none',
  ref: '',
  digest: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  size: 0,
});

/**
 * A metric scores datasets of the kinds K it declares, and its evaluate receives exactly those types
 * (`Metric<'text'>` gets a TextDataset; `Metric<'text' | 'image-class'>` the union, told apart by
 * `kind`). mc checks the opened dataset's kind against datasetKinds before calling evaluate.
 */
export interface Metric<K extends DatasetKind = DatasetKind> {
  readonly id: string;
  readonly summary: string;
  /** the kinds it scores; listing 'none' lets --dataset be omitted (evaluate then receives NO_DATASET: latency on graph-shaped inputs) */
  readonly datasetKinds: readonly K[];
  readonly params: readonly ParamSpec[];
  /** 'required': eval refuses without --baseline (kld); 'optional': used when given (latency ratios); absent: a baseline is not this metric's input */
  readonly baseline?: 'required' | 'optional';
  evaluate(
    model: LoadedModel,
    data: DatasetKinds[K],
    params: Params,
    ctx: RunContext,
    inputs?: MetricInputs,
  ): Promise<MetricResult>;
  /**
   * Present on a metric `--shards` can split: the single-run result from its shards' results (in
   * shard order), equal to an unsharded run's bit for bit, by replaying the shards' per-unit records in
   * plan order through the accumulator evaluate uses (float sums depend on their order).
   */
  mergeShards?(parts: readonly MetricResult[], params: Params): MetricResult;
}
