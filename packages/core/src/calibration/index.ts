/** Calibration data and activation capture for data-aware methods (GPTQ, Wanda, SparseGPT); see types.ts. */
export * from './types.js';
export {
  createStats,
  accumulateRows,
  addWindow,
  addSums,
  addSquares,
  addSumSquares,
  mergeStats,
  featureNorms,
  hessianOf,
} from './stats.js';
export {
  findMatMulTargets,
  findWeightTargets,
  unsupportedWeightReaders,
  convPatchesOf,
  patchFeatures,
} from './targets.js';
export { planStages } from './stages.js';
export { captureActivations, statsKey, statsOf } from './capture.js';
export { CALIBRATION_DEFAULTS } from './text-source.js';
export { createCalibration, describeCalibration, type CalibrationOptions } from './source.js';
export { isPixelDataset, imageInputOf, drawIndices, type PixelDataset } from './image-source.js';
export { outputErrorSums, relativeError, relativeOutputError, type OutputErrorSums } from './output-error.js';
