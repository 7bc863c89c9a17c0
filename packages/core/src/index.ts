/**
 * @mc-kit/core's public API: every name here is a promise to plugin authors and to the CLI, and
 * packages/core/api/core.api.md records its signature (`npm run api:check` fails on an unreviewed
 * change; README "Public API"). Names are exported one by one, never `export *`, so that an internal
 * helper does not become public by being exported from its own module. Test helpers are in
 * `@mc-kit/core/testing`.
 */

// ── Contracts: what a compressor, a metric and a dataset provider implement ──────────────────────
export {
  NO_DATASET,
  type CompressReport,
  type Compressor,
  type Dataset,
  type DatasetBase,
  type DatasetKind,
  type DatasetKinds,
  type DatasetProvider,
  type DatasetRef,
  type EvalShard,
  type ImageClassBatch,
  type ImageClassDataset,
  type ImageMaskBatch,
  type ImageMaskDataset,
  type Invocation,
  type LoadedModel,
  type Logger,
  type Metric,
  type MetricInputs,
  type MetricResult,
  type MetricValue,
  type NoDataset,
  type Progress,
  type ProgressTask,
  type Rng,
  type RunContext,
  type ShardPart,
  type TensorReport,
  type TextDataset,
  type TextSubset,
} from './contracts.js';

// ── Plugin declarations: what a plugin's mc:register hook returns ────────────────────────────────
export {
  compressor,
  datasetProvider,
  definePlugin,
  metric,
  type CompressorDeclaration,
  type DatasetDeclaration,
  type Declaration,
  type MetricDeclaration,
  type PluginManifest,
  type RegisterHook,
  type RegisterHookOptions,
} from './declarations.js';
export { CORE_VERSION, isCompatibleCore } from './version.js';
export { decodeFloats, encodeFloats, shardRange, shardRecords, type UnitRange } from './shards.js';

// ── Parameters: declared once as ParamSpec; flags, recipes and `mc list` come from them ──────────
export {
  describeParam,
  parseParams,
  validateParamSpecs,
  type ParamSpec,
  type ParamType,
  type ParamValue,
  type Params,
} from './params.js';
export { typedParams, type ParamsOf, type ParamValueOf } from './params.js';

// ── Errors: recognised by `code`, never by instanceof (a plugin may carry its own copy of core) ───
export {
  BugError,
  ErrorCodes,
  isMcError,
  isUserError,
  McError,
  UserError,
  type ErrorCode,
  type McErrorOptions,
  type McErrorShape,
} from './errors.js';
export { didYouMean } from './did-you-mean.js';

// ── Run context: logger, progress, seeded RNG, abort signal, sessions, calibration source ────────
export { createRunContext, throwIfAborted, type AbortReason, type ContextOptions } from './context.js';
export { createRng } from './rng.js';
export { pairedBootstrap, type PairedBootstrap } from './stats/paired-bootstrap.js';
export {
  createCheckpointStore,
  openCheckpoint,
  type Checkpoint,
  type CheckpointStore,
  type OpenStore,
} from './checkpoint.js';

// ── Files a plugin reads: digests, and paths that must stay regular files inside their folder ───
export { sha256Bytes, sha256File, sha256Files } from './digest.js';
export { assertFileOrFolder, assertRegularFile, isInside, regularFileInside } from './safe-paths.js';

// ── ONNX models: the OnnxModel API, element types and codecs, opsets ─────────────────────────────
export { OnnxModel } from './onnx/model.js';
export type { Consumer, Initializer, NodeProto, SaveOptions, TensorProto, ValueInfoProto } from './onnx/model-types.js';
export { toNumber, type LongLike, type onnx } from './onnx/proto.js';
export { makeTensor } from './onnx/initializer.js';
export {
  bfloat16ToFloat32,
  DataType,
  float16ArrayToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
  packInt4,
} from './onnx/dtypes.js';
export { MAX_OPSET, MIN_OPSET } from './onnx/opset/versions.js';
export { upgradeOpset, type UpgradeReport } from './onnx/opset/upgrade.js';
export {
  checkUpgrade,
  type Sessions as UpgradeCheckContext,
  type Verification,
  type VerifyOptions,
} from './onnx/opset/verify.js';
export type { HoistReport } from './onnx/hoist-weights.js';
export type { WeightHome } from './onnx/weight-sources.js';

// ── Choosing the weights a method rewrites, and saying which it skipped and why ──────────────────
export {
  SELECTION_PARAMS,
  selectWeights,
  type FloatType,
  type SelectOptions,
  type Candidate as WeightCandidate,
  type Skipped as SkippedWeight,
} from './onnx/select-weights.js';
export {
  groupSkips,
  nothingQualifies,
  skipItemOf,
  skipSummaryLines,
  type SkipGroup,
  type SkipItem,
} from './onnx/skip-summary.js';

// ── Sessions: the one module that owns onnxruntime ───────────────────────────────────────────────
export { loadOrt, OrtSessionFactory, type Ort, type SessionFactoryOptions } from './session/factory.js';
export type {
  Device,
  DeviceRequest,
  HostTensor,
  McSession,
  SessionFactory,
  SessionOptions,
  TensorElementType,
} from './session/types.js';
export {
  randomFeeds,
  type FeedRecipe,
  type Feeds,
  type Planned,
  type ProbePlan,
  type SizePlan,
} from './probe/random-feeds.js';

// ── Models by reference: a file, a Hugging Face style folder, or hf:owner/name[@rev] ─────────────
export { loadModelRef } from './model-ref.js';
export { isHubRef } from './hub/parse-ref.js';

// ── Language models: tokenizers, the CausalLM adapter with its loss head, generation, KL pairs ───
export type { CausalLM, CausalLMOptions, LossHead, TextTokenizer, TokenWindows } from './lm/types.js';
export { loadTokenizer, tokenizerDigest, type LoadedTokenizer } from './lm/tokenizer.js';
export { contextLengthOf, loadCausalLM, type LoadedCausalLM } from './lm/causal-lm.js';
export { findLogitsOutput } from './lm/loss-head.js';
export { loadGenerator } from './lm/generate.js';
export type {
  FinishReason,
  GenerateOptions,
  Generation,
  GeneratorOptions,
  TextGenerator,
} from './lm/generate-types.js';
export { loadKlPair, type KlPair, type KlPairOptions } from './lm/kl-pair.js';
export type { TokenKl } from './lm/kl-math.js';

// ── Images: preprocessing from config.json or flags ──────────────────────────────────────────────
export {
  DEFAULT_SPEC,
  parseFloatList,
  preprocess,
  resolvePreprocess,
  type PixelDims,
  type PreprocessSpec,
  type ResolvedSpec,
  type SpecOverrides,
  type SpecSource,
} from './image/preprocess.js';

// ── Calibration: accumulate → finalize → solve, for data-aware methods (GPTQ, Wanda, SparseGPT) ─
export type {
  ActivationStats,
  CalibrationInfo,
  CalibrationSample,
  CalibrationSet,
  CalibrationSource,
  CaptureOptions,
  CaptureResult,
  CaptureTarget,
  ConvPatches,
} from './calibration/types.js';
export { describeCalibration } from './calibration/source.js';
export { planStages } from './calibration/stages.js';
export { captureActivations, statsOf } from './calibration/capture.js';
export { hessianOf, mergeStats } from './calibration/stats.js';
export { convPatchesOf, findWeightTargets, unsupportedWeightReaders } from './calibration/targets.js';
export {
  outputErrorSums,
  relativeError,
  relativeOutputError,
  type OutputErrorSums,
} from './calibration/output-error.js';
export { choleskyLower, choleskyUpperOfInverse, inverseFromCholesky } from './linalg/cholesky.js';
export { prepareHessian, permuteSymmetric, type HessianOptions, type PreparedHessian } from './linalg/hessian.js';
export {
  rewriteTensors,
  skippedTensorRow,
  initializerOrder,
  type TensorLoop,
  type RewriteStep,
  type WeightFacts,
} from './rewrite-tensors.js';

// ── Services for the CLI: one per command (parse flags, call a service, render) ──────────────────
export { Registry, type EntryKind, type PluginOrigin, type RegistryEntry } from './registry.js';
export { CORE_ROOT } from './version.js';
export { preloadSpinner, type ProgressMode } from './progress.js';
export {
  compressModel,
  planMethods,
  type CompressRequest,
  type MethodRequest,
  type PlannedStep,
  type StepRecord,
} from './services/compress.js';
export type { WriteOutputOptions } from './services/output-target.js';
export {
  evaluateModel,
  planMetric,
  type EvalRequest,
  type MetricRequest,
  type PlannedMetric,
} from './services/eval.js';
export { convertModel, type ConvertRequest, type ConvertResult } from './services/convert.js';
export { decompressModel, type DecompressResult } from './services/decompress.js';
export {
  inspectModel,
  type InspectReport,
  type TensorSignature,
  type WeightEntry,
  type WeightPlace,
} from './services/inspect.js';
export { listRegistry, type ListReport, type ListRow } from './services/list.js';
export { checkProbeOptions, DEFAULT_PROBES, type ProbeOptions } from './services/output-checks.js';
export { DRIFT_THRESHOLDS, driftLine, percent } from './probe/drift.js';
export type { DriftReport, DriftThresholds, OutputDrift } from './probe/types.js';
export type { OutputDifference } from './probe/compare.js';
export { createCalibration, type CalibrationOptions } from './calibration/source.js';
export { CALIBRATION_DEFAULTS } from './calibration/text-source.js';

// ── Results, reports and gates (the CLI's output side) ───────────────────────────────────────────
export {
  checkResultsDir,
  createInvocation,
  redactArgv, // @mc-kit/queue also redacts the connection URLs it prints with it
  writeResult,
  type CompressResult,
  type EvalResult,
  type FileInfo,
  type ResultBase,
  type RunResult,
  type Versions,
} from './results.js';
export { reportResults, type ReportRequest } from './services/report.js';
// eval --shards: a metric splits its units into contiguous ranges; the merge replays their records in order
export { evaluateShard, evaluateSharded, MAX_SHARDS, mergeEvalShards, planEvalShards } from './services/eval-shards.js';
export {
  evaluateSweepDense,
  planSweep,
  runSweep,
  runSweepPoint,
  summarizeSweep,
  withDenseBaseline,
  type SweepPointOutcome,
  type SweepPointPlan,
  type SweepRequest,
  type SweepRow,
  type SweepSummaryWriter,
} from './services/sweep.js';
export { openSweepOut, type SweepOut } from './services/sweep-out.js';
export { readResultInputs, type ReadResult } from './report/read.js';
export { buildReport } from './report/join.js';
export { paretoFront } from './report/pareto.js';
export { checkReportGates } from './report/gates.js';
export type {
  ChainStep,
  Delta,
  MetricCell,
  Report,
  ReportMetric,
  ReportOptions,
  ReportRow,
  ValueCell,
} from './report/types.js';
export {
  checkGates,
  describeOutcome,
  enforceGates,
  figuresOf,
  parseGates,
  planGates,
  type Gate,
  type GateOp,
  type GateOutcome,
} from './gates.js';

// ── Writing outputs safely: atomic writes, writable folders, one writer per output ───────────────
export { assertWritableDir, writeFileAtomic } from './atomic-write.js';
// lockPathFor: @mc-kit/queue removes a retried sweep point's stale output together with its lock.
export { lockOutput, lockPathFor, type LockHolder, type OutputLock } from './output-lock.js';
