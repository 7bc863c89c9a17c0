/** Shared by every kick-* metric: per-item scores, the driver (--baseline, --log-samples), the paired bootstrap, the shared params. */
export { meanScore, meanStderr, type ItemScore, type SampleRecord } from './item-score.js';
export { pairedBootstrap, type PairedBootstrap } from './bootstrap.js';
export { KICK_PARAMS, kickOptions, type KickOptions } from './params.js';
export {
  compare,
  mergeKickShards,
  runKickTask,
  type Comparison,
  type Disagreement,
  type KickTask,
} from './run-task.js';
export { tokenizerFor } from './lm.js';
export { openGenerationCheckpoint, type GenerationCheckpoint } from './generation-checkpoint.js';
