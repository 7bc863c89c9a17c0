/**
 * Probes: two versions of one model run on the same seeded inputs, and how far their outputs are
 * apart: equal to a tolerance (the opset upgrade's check), or the drift of a compressed model from
 * the dense one (relative error, top-1 agreement; random inputs or --probe-dataset text).
 */
export * from './types.js';
export {
  DRIFT_THRESHOLDS,
  driftLine,
  driftWarning,
  measureDrift,
  percent,
  runProbes,
  type Baseline,
  type ProbeBaseline,
} from './drift.js';
export {
  CHECK_RECIPE,
  DRIFT_RECIPE,
  indexRange,
  PROBE_SHAPE,
  probeFeeds,
  probeShapes,
  randomFeeds,
  randomProbes,
  shapeInputs,
  SIZE_PLANS,
  type FeedRecipe,
  type Feeds,
  type Planned,
  type ProbePlan,
  type ProbeShape,
  type SizePlan,
} from './random-feeds.js';
export { datasetProbes, PROBE_DATASET_SEQLEN, type DatasetProbeOptions } from './dataset-feeds.js';
export {
  accumulate,
  classAxisOf,
  compareOutputs,
  compareTensors,
  finish,
  newSums,
  valuesOf,
  type DriftSums,
  type OutputDifference,
} from './compare.js';
