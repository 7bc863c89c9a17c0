/** Drift probes: the dense and the compressed model on the same inputs (random, or --probe-dataset). */
export * from './types.js';
export { DRIFT_THRESHOLDS, driftLine, driftWarning, measureDrift, percent, runProbes, type Baseline, type ProbeBaseline } from './drift.js';
export { indexRange, PROBE_SHAPE, randomProbes, type Feeds, type Planned, type ProbePlan } from './random-feeds.js';
export { datasetProbes, PROBE_DATASET_SEQLEN, type DatasetProbeOptions } from './dataset-feeds.js';
export { accumulate, classAxisOf, finish, newSums, type DriftSums } from './compare.js';
