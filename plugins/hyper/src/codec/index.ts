/** The hyperfunction codec (spec shared/specs/hyper-compression.md §1–§5): pure functions over typed arrays. */
export * from './types.js';
export { codebook, codebookF32, windingSteps } from './codebook.js';
export { bitLength, indexBits, packIndices, unpackIndices, MAX_INDEX_BITS } from './bits.js';
export { decodeTensor, decodeIndices, lookupTable, shellScales, farthestDistance } from './decode.js';
export { encodeTensor, CHUNK_PAIRS } from './encode.js';
export { encodeTensorParallel, shutdownEncodeWorkers, PARALLEL_MIN_PAIRS } from './encode-parallel.js';
export { resolveSettings, DEFAULT_LOSS, type ResolvedSettings } from './settings.js';
export { PRESETS, PRESET_NAMES, type PresetName } from './presets.js';
export { AUTO_L_QUANTILES, AUTO_L_SAMPLE } from './auto-l.js';
export { planTargetBpw, DEFAULT_PLAN_CANDIDATES } from './plan-bpw.js';
