/** Calibration data and activation capture for data-aware methods (GPTQ, Wanda, SparseGPT); see types.ts. */
export * from './types.js';
export { createStats, accumulateRows, addWindow, addSquares, mergeStats, featureNorms, hessianOf } from './stats.js';
export { findMatMulTargets } from './targets.js';
export { planStages } from './stages.js';
export { captureActivations } from './capture.js';
export { createTextCalibration, CALIBRATION_DEFAULTS, type TextCalibrationOptions } from './text-source.js';
