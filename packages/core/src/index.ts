/** @mc-kit/core public API: what plugins and the CLI may import. */
export * from './errors.js';
export * from './params.js';
export * from './contracts.js';
export * from './declarations.js';
export * from './registry.js';
export * from './tokens.js';
export * from './version.js';
export * from './rng.js';
export { pairedBootstrap, type PairedBootstrap } from './stats/paired-bootstrap.js';
export * from './report/index.js';
export * from './progress.js';
export * from './context.js';
export * from './digest.js';
export * from './did-you-mean.js';
export * from './atomic-write.js';
export * from './model-ref.js';
export * from './results.js';
export * from './gates.js';
export {
  createCheckpointStore,
  openCheckpoint,
  type Checkpoint,
  type CheckpointStore,
  type OpenStore,
} from './checkpoint.js';
export * from './session/types.js';
export { OrtSessionFactory, loadOrt, onnxruntimeVersion, type SessionFactoryOptions } from './session/factory.js';
export * from './onnx/index.js';
export * from './probe/index.js';
export * from './services/index.js';
export * from './lm/types.js';
export * from './lm/index.js';
export * from './hub/index.js';
export * from './calibration/index.js';
export * from './image/preprocess.js';
export {
  choleskyLower,
  choleskyUpper,
  choleskyUpperOfInverse,
  inverseFromCholesky,
  invertLower,
} from './linalg/cholesky.js';
export * from './safe-paths.js';
export * from './output-lock.js';
export { removeTrackedTempsSync } from './temp-paths.js';
export { parseModelConfig, readModelConfig, MODEL_CONFIG_SCHEMA } from './model-config.js';
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
export { decodeFloats, encodeFloats, shardRange, shardRecords, type UnitRange } from './shards.js';
export { evaluateShard, evaluateSharded, MAX_SHARDS, mergeEvalShards, planEvalShards } from './services/eval-shards.js';
