/** ONNX model I/O: the OnnxModel API, element types, tensor codecs and external data helpers. */
export * from './dtypes.js';
export * from './model.js';
export * from './tensor-codec.js';
export * from './external-data.js';
export { TensorInitializer, makeTensor } from './initializer.js';
export { toNumber, toBigInt, type onnx } from './proto.js';
export {
  selectWeights,
  SELECTION_PARAMS,
  type SelectOptions,
  type Candidate as WeightCandidate,
  type Skipped as SkippedWeight,
  type FloatType,
} from './select-weights.js';
export { weightRole, isWeightSlot, isBiasOrNormSlot, type WeightRole } from './weight-roles.js';
export {
  findWeights,
  constantValue,
  type FoundWeight,
  type WeightHome,
  type ConstantValue,
  type ConstantForm,
} from './weight-sources.js';
export { hoistWeights, type HoistReport } from './hoist-weights.js';
export {
  groupSkips,
  skipSummaryLines,
  nothingQualifies,
  skipItemOf,
  type SkipItem,
  type SkipGroup,
} from './skip-summary.js';
export * from './opset/index.js';
export {
  validateModel,
  assertValidInput,
  assertValidOutput,
  prepareForSave,
  summarizeIssues,
  formatIssue,
  sortGraph,
  topologicalOrder,
  requiredIrVersion,
  CHECKS,
  type CheckName,
  type ValidationIssue,
} from './validate/index.js';
